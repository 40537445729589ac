/** @packageDocumentation Work in progress. */
export const placeholder = 'hashring'
