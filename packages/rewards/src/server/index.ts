export { type RewardServerOptions, type RunningRewardServer, createRewardServer, startRewardServer } from './reward-server';
export { getRewardRequestSchema, scoreRequestSchema } from './request-schemas';
