export { MAX_LABEL_TYPE_CHARS, type RewardServerOptions, type RunningRewardServer, createRewardServer, startRewardServer } from './reward-server';
export { getRewardRequestSchema, scoreRequestSchema } from './request-schemas';
export { RewardModuleError, registerRewardModules } from './reward-modules';
export { type RewardCliOptions, addRewardOptions, rewardScorerFromOptions } from './reward-cli-options';
export { ASSISTANT_TURN_MARKERS, type ReplySource, openRlhfReply } from './openrlhf-reply';
