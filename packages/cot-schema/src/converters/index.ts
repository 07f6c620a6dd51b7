export { ConversionError } from './conversion-error';
export * from './type-text';
export * from './solution';
export * from './pa-sft';
export * from './sc-grpo';
export * from './rl-framework-rows';
