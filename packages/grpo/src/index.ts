export { type GrpoObjectiveInput, LOSS_AGGREGATIONS, type LossAggregation, groupAdvantages, groupStds, grpoObjective, k3Kl } from './grpo-objective';
export { type GrpoSample, samplesFromExpertAd, samplesFromScGrpo } from './grpo-samples';
export { type GrpoOptions, type GrpoResult, type GrpoStepMetrics, type RewardFn, defaultReward, sampledLogProbs, trainGrpo } from './train-grpo';
