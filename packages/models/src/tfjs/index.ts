export { tf } from './tf';
export { BACKEND_PREFERENCE, type BackendName, type BackendSelection, type SelectBackendOptions, selectBackend } from './select-backend';
export { BpeTokenizer, SPECIAL_TOKENS, type TokenizerFile, tokenizerFileSchema } from './bpe-tokenizer';
export { type RenderedPrompt, completionOf, renderChat } from './chat-template';
export { type ImageLoader, sharpImageLoader } from './image-loader';
export { type TinyVlmConfig, type TinyVlmConfigInput, patchesPerImage, tinyVlmConfigSchema } from './tiny-vlm-config';
export { TinyVLM, type TinyVlmOptions, type TrainingBatch, type TrainingExample, sampleToken } from './tiny-vlm';
export { type NamedTensor, encodeSafetensors, readSafetensors } from './safetensors';
export { AdamW, type AdamWOptions, clipByGlobalNorm, cosineWithWarmup } from './training/adamw';
