export { type Tensor, type Variable, tf } from './tf';
export { untransposedMatMul } from './mat-mul';
export { BACKEND_PREFERENCE, type BackendName, type BackendSelection, type SelectBackendOptions, selectBackend } from './select-backend';

// The trainable-model contract, what the trainers read.
export type { SaveOptions, TrainableModel, TrainingBatch, TrainingExample } from './trainable/trainable-model';
export { sftLoss } from './trainable/sft-loss';
export { type FreezeOptions, NothingToTrainError, trainedVariables } from './trainable/trainable-variables';
export { completionIdsOf, completionOf, rightPaddedBatch } from './trainable/teacher-forcing';

// The registry and the architectures.
export { ARCHITECTURES, ModelTooLargeError, UnsupportedArchitectureError, architectureOf, loadModel } from './model-registry';
export type { ArchitectureEntry, ArchitectureShape, LoadModelOptions } from './architectures/architecture-entry';
export { ConfigFieldError } from './architectures/config-field-error';
export { TINY_VLM_ARCHITECTURE, TinyVLM, type TinyVlmBatch, type TinyVlmOptions } from './architectures/tiny-vlm/tiny-vlm';
export { type TinyVlmConfig, type TinyVlmConfigInput, imageTokensPerImage, patchesPerImage, tinyVlmConfigSchema } from './architectures/tiny-vlm/tiny-vlm-config';
export { type RenderedPrompt, renderChat } from './architectures/tiny-vlm/chat-template';
export { Qwen2ForCausalLM, type Qwen2LoadOptions } from './architectures/qwen2/qwen2-for-causal-lm';
export { type Qwen2DecoderConfig, qwen2ConfigSchema, qwen2DecoderConfig } from './architectures/qwen2/qwen2-config';
export { Qwen2VLForConditionalGeneration, type Qwen2VlBatch, type Qwen2VlLoadOptions, type Qwen2VlNaming } from './architectures/qwen2-vl/qwen2-vl-for-conditional-generation';
export { type Qwen2VisionConfig, type Qwen2VlConfig, type Qwen2VlVariant, qwen2VlConfig } from './architectures/qwen2-vl/qwen2-vl-config';
export { type Qwen2VlProcessorConfig, type VisionPatches, patchesFromPixels, processQwen2VlImage, processorConfigOf, qwen2VlProcessorSchema, readQwen2VlProcessorConfig, roundHalfToEven, smartResize } from './architectures/qwen2-vl/qwen2-vl-image-processor';
export { encodeQwen2VlImage, qwen2VisionLinears, qwen2VisionSpecs, visionRotaryTables, windowIds } from './architectures/qwen2-vl/qwen2-vl-vision';
export { LlavaOnevisionForConditionalGeneration, type LlavaOnevisionBatch, type LlavaOnevisionLoadOptions, type LlavaOnevisionNaming } from './architectures/llava-onevision/llava-onevision-for-conditional-generation';
export { type LlavaOnevisionConfig, type SiglipVisionConfig, ONEVISION_GRID_PINPOINTS, llavaOnevisionConfig } from './architectures/llava-onevision/llava-onevision-config';
export { type LlavaOnevisionPixels, type LlavaOnevisionProcessorConfig, type MultiImageMode, anyresMaxSize, imageTokenCount, llavaOnevisionProcessorConfigOf, llavaOnevisionProcessorSchema, patchOutputSize, processLlavaOnevisionImage, readLlavaOnevisionProcessorConfig, selectBestResolution, unpaddedSize } from './architectures/llava-onevision/llava-onevision-image-processor';
export { encodeSiglipTiles, siglipLinears, siglipPatchRows, siglipSpecs } from './architectures/llava-onevision/siglip-vision';
export { bilinearMatrix, packImageFeatures, projectFeatures } from './architectures/llava-onevision/image-features';
export { type MergedGrid, type MropePositions, mropePositions, mropeTables } from './architectures/qwen2-vl/mrope';

// Shared building blocks of the architectures.
export { type Initializer, type LinearModule, type LoraModule, WeightSet, type WeightSpec, linearSpecs } from './nn/weights';
export { dense, linear } from './nn/linear';
export { gatherRows } from './nn/gather-rows';
export { stopGradient } from './nn/stop-gradient';
export { layerNorm, rmsNorm } from './nn/norms';
export { erfGelu, sigmoidGelu, silu, tanhGelu } from './nn/activations';
export { type KvCache, causalPaddingBias, groupedQueryAttention } from './nn/attention';
export { applyRotary, rotaryInverseFrequencies, rotaryTables } from './nn/rotary';
export { type DecodeLoopOptions, type IncrementalDecoder, decodeLoop } from './generation/decode-loop';
export { type SamplingOptions, sampleToken, tokenLogProb } from './generation/sample-token';
export { mulberry32, sampleStreams } from './generation/seeded-random';

// Tokenizers and chat templates.
export type { TextTokenizer } from './tokenizer/text-tokenizer';
export { BpeTokenizer, SPECIAL_TOKENS, type TokenizerFile, tokenizerFileSchema } from './tokenizer/bpe-tokenizer';
export { CHARACTERS_PER_POSITION, CHAT_TEMPLATE_SOURCES, type ChatTemplateSource, HfTokenizer, type HfTokenizerFiles, type TemplateMessage, TextTooLongError } from './tokenizer/hf-tokenizer';
export { ChatTemplateLimitError, TEMPLATE_TIME_LIMIT_MS } from './tokenizer/chat-template-renderer';
export { TokenizerLimitError } from './tokenizer/sandboxed-tokenizer';
export { KNOWN_TOKENIZER_PATTERNS } from './tokenizer/tokenizer-patterns';
export { type ByteLevelTokenizerOptions, CHATML_TEMPLATE, byteLevelTokenizerFiles } from './tokenizer/byte-level-tokenizer';

// Checkpoint I/O.
export { CheckpointError } from './checkpoint/checkpoint-error';
export { FLOAT_DTYPES, type FloatDtype, bf16ToF32, decodeFloats, encodeFloats, f16ToF32, f32ToBf16, f32ToF16 } from './checkpoint/dtype';
export { ALLOW_NON_FINITE_ENV, SafetensorsFile, type TensorEntry, type TensorToWrite, writeSafetensors } from './checkpoint/safetensors-file';
export { CheckpointWeights, SINGLE_WEIGHTS_FILE, WEIGHTS_INDEX_FILE, assignShards, shardName } from './checkpoint/checkpoint-weights';
export { type NamedTensor, encodeSafetensors, readSafetensors } from './checkpoint/named-tensors';

// LoRA.
export { type LoraSettings, type LoraSettingsInput, TargetModulesPatternError, isLoraTarget, loraScale, loraSettingsSchema } from './lora/lora-settings';
export { LoraTargetError, applyLora, mergeLora } from './lora/apply-lora';
export { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, readAdapterConfig } from './lora/adapter-files';

// Images and training.
export { type ImageLoader, type RgbImage, decodeRgb, imageSize, sharpImageLoader } from './image-loader';
export { pilBicubicResize } from './pil-bicubic-resize';
export { AdamW, type AdamWOptions, clipByGlobalNorm, cosineWithWarmup } from './training/adamw';
export { NonFiniteLossError } from './training/non-finite-loss-error';
export { BackendUnavailableError, ImageDecodeError, MissingDependencyError } from './environment-errors';
export { type TrainerState, checkpointToResume, resumeTrainingCheckpoint, saveTrainingCheckpoint } from './training/training-checkpoint';
export type { TrainingLoopOptions } from './training/training-loop-options';
export { dataDigest, indicesByLabel, labelsDigest } from './training/example-labels';
export { type TrainedWeightsOptions, prepareTrainedWeights } from './training/trained-weights';
export {
  type HeadEvaluation,
  type PretrainVisionOptions,
  type PretrainVisionResult,
  type VisionFeatureModel,
  type VisionShardPayload,
  type VisionShardResult,
  pairedBatch,
  pretrainVision,
  visionShardGradients,
} from './training/pretrain-vision';
export { SYNTHETIC_ANOMALY_KINDS, type SyntheticAnomalyKind, pasteSyntheticAnomaly } from './training/synthetic-anomaly';

// Shared CLI options of the trainers.
export {
  type TrainedWeightsCliOptions,
  addTrainedWeightsOptions,
  loraSettingsFromOptions,
  numberArgument,
  positiveNumberArgument,
  trainedWeightsFromOptions,
  wholeNumberArgument,
} from './cli/training-cli-options';

// Memory estimates and the registry entries' shapes.
export { type MemoryEstimate, type MemoryEstimateOptions, estimateMemory, formatBytes } from './memory-estimate';
export { qwen2Architecture } from './architectures/qwen2/qwen2-architecture';
export { qwen25VlArchitecture, qwen2VlArchitecture } from './architectures/qwen2-vl/qwen2-vl-architecture';
export { llavaOnevisionArchitecture } from './architectures/llava-onevision/llava-onevision-architecture';
export { tinyVlmArchitecture } from './architectures/tiny-vlm/tiny-vlm-architecture';
export { DataParallelPool, DataParallelWorkerError, type DataParallelPoolOptions, type ShardReply, defaultWorkers } from './parallel/data-parallel-pool';
export { NotBuiltError, builtFile } from './parallel/built-file';
export type { ShardContext, ShardHandler, ShardHandlers, ShardOutput } from './parallel/shard-context';
export { accumulateWeightedGradients, combineShardGradients, shardGradients } from './parallel/shard-gradients';
export { shardRanges } from './parallel/shard-ranges';
export { type GenerateShardPayload, type SftShardPayload, type SftShardResult, generateShard, sftShardGradients } from './parallel/built-in-handlers';
export { type TrainingWorkers, type TrainingWorkersOptions, startTrainingWorkers } from './parallel/training-workers';
export { TrainingMemoryError, type TrainingPassPlan, WASM_HEAP_LIMIT, backendMemoryLimit, modelShape, passesMessage, planTrainingPasses } from './training/training-memory';
