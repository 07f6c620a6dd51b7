export { type SftDataOptions, answerStrata, examplesFromExpertAd, examplesFromPaSft, imageCountGroups } from './sft-examples';
export { type SftOptions, type SftResult, type SftStepMetrics, trainSft } from './train-sft';
export { NonFiniteLossError } from '@iad-r1/models/tfjs';
