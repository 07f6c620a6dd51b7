export * from './model-output-schema';
export * from './expert-ad-record';
export * from './pa-sft-record';
export * from './sc-grpo-record';
export * from './mmad-manifest';
export * from './parse-records';
export * from './record-validation-error';
