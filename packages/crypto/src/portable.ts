export const placeholder = 'portable'
