/** @packageDocumentation Work in progress. */
export const placeholder = 'snowflake'
