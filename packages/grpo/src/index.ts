export { type GrpoObjectiveInput, LOSS_AGGREGATIONS, type LossAggregation, groupAdvantages, groupStds, grpoObjective, k3Kl } from './grpo-objective';
export { type GrpoSample, samplesFromExpertAd, samplesFromScGrpo } from './grpo-samples';
export { type GrpoOptions, type GrpoResult, type GrpoStepMetrics, type RewardFn, defaultReward, trainGrpo } from './train-grpo';
export { type GrpoShardPayload, type GrpoShardResult, type SampledCompletion, grpoShardGradients, releaseGrpoShard, sampledLogProbs } from './grpo-shard';
