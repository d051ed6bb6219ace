export * from './decode-error.js';
export * from './primitives/reader.js';
export * from './primitives/writer.js';
export * from './headers.js';
export * from './frame-decoder.js';
export * from './schema/declaration.js';
export { codecFor, isFlexible, type VersionCodec } from './schema/compile.js';
export * from './messages/index.js';
export * from './codec.js';
