export { type CompletionInput, completionText } from './completion';
export { consistencyReward, matchesAnomalousPattern, matchesNormalPattern } from './consistency-reward';
export { answerReward } from './answer-reward';
export { type LocationRewardOptions, locationReward } from './location-reward';
export { type CategoryMatch, matchAnomalyCategory, normaliseTypeText, typeReward } from './type-reward';
export { type ReferenceAccuracyParts, referenceAccuracyParts, referenceAccuracyReward } from './reference-accuracy-reward';
export {
  type RewardComponents,
  type RewardPreset,
  type RewardWeights,
  type ScGrpoReward,
  type ScGrpoRewardOptions,
  scGrpoReward,
} from './sc-grpo-reward';
export { sequenceSimilarity } from './similarity';
export { solutionAnswer, tagValue } from './tag-value';
export { pythonStrip } from './python-text';
export * from './adapters/rl-engine-adapters';
export { ScoreLineError, scoreLine, scoreLineSchema } from './score-lines';
