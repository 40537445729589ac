/** @packageDocumentation Work in progress. */
export const placeholder = 'pbft'
