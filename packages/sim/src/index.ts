/** @packageDocumentation Work in progress. */
export const placeholder = 'sim'
