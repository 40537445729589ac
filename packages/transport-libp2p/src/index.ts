/** @packageDocumentation Work in progress. */
export const placeholder = 'transport-libp2p'
