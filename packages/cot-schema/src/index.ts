export * from './output/index';
export * from './records/index';
export * from './prompts/index';
export * from './taxonomy/index';
export * from './converters/index';
export * from './text/index';
export * from './random/index';
