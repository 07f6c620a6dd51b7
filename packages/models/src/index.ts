export type { ChatContentPart, ChatMessage, ImageInput } from './chat';
export type { Completion, GenerateOptions, GenerateResult, VisionLanguageModel } from './vision-language-model';
export { ModelRequestError, ModelResponseError } from './model-errors';
