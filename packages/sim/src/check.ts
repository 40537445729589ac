export const placeholder = 'check'
