export { type CompletionInput, completionText } from './completion';
export { consistencyReward, matchesAnomalousPattern, matchesNormalPattern } from './consistency-reward';
export { answerReward } from './answer-reward';
export { type LocationRewardOptions, locationReward } from './location-reward';
export { type CategoryMatch, matchAnomalyCategory, normaliseTypeText, typeReward } from './type-reward';
export { type ReferenceAccuracyParts, referenceAccuracyParts, referenceAccuracyReward } from './reference-accuracy-reward';
export {
  AsyncRewardError,
  type RewardBatch,
  type RewardDefinition,
  type RewardPresetDefinition,
  RewardRegistry,
  RewardRegistryError,
  type RewardScorer,
  type RewardScorerOptions,
  RewardValueError,
  type ScoredBatch,
  type ScorerComponent,
} from './reward-registry';
export { SC_GRPO_PRESETS, SC_GRPO_REWARDS, createRewardRegistry, taggedLocationReward, taggedTypeReward } from './sc-grpo-rewards';
export {
  type RewardComponents,
  type RewardPreset,
  type RewardWeights,
  type ScGrpoReward,
  type ScGrpoRewardOptions,
  builtInScorer,
  scGrpoReward,
} from './sc-grpo-reward';
export { sequenceSimilarity } from './similarity';
export { solutionAnswer, tagValue } from './tag-value';
export { pythonStrip } from './python-text';
export * from './adapters/rl-engine-adapters';
export { ScoreLineError, type ScoreLineInput, parseScoreLine, scoreLine, scoreLineSchema } from './score-lines';
