export const placeholder = 'node'
