export * from './parse-output';
export { OutputParseError } from './output-parse-error';
