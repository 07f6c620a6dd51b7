export { TextEncodingError, decodeUtf8, firstInvalidUtf8Byte } from './decode-utf8';
