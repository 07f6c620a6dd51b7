export { type OpenAICompatibleOptions, OpenAICompatibleModel } from './openai-compatible-model';
export { imageDataUrl } from './image-data-url';
