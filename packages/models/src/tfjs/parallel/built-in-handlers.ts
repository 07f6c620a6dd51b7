import type { ChatMessage } from '../../chat';
import type { GenerateOptions } from '../../vision-language-model';
import type { TrainingExample } from '../trainable/trainable-model';
import { sftLoss } from '../trainable/sft-loss';
import { visionShardGradients } from '../training/pretrain-vision';
import type { ShardContext, ShardHandlers, ShardOutput } from './shard-context';
import { shardGradients } from './shard-gradients';

/** Payload of the `sft-gradients` job. */
export interface SftShardPayload {
  examples: TrainingExample[];
}

/** Result of the `sft-gradients` job: the shard's mean loss, the completion tokens it averaged over, the real tokens. */
export interface SftShardResult {
  loss: number;
  lossTokens: number;
  tokens: number;
}

/**
 * One shard of a PA-SFT micro-batch: teacher-forced loss (mean over the shard's completion
 * tokens) and its gradients. Weighting each shard by its completion tokens gives the whole
 * micro-batch's mean.
 */
export async function sftShardGradients(context: ShardContext, payload: SftShardPayload): Promise<ShardOutput & { result: SftShardResult }> {
  const batch = await context.model.prepareTrainingBatch(payload.examples);
  const { value, grads } = shardGradients(context, () => sftLoss(context.model, batch));
  return { result: { loss: value, lossTokens: batch.lossMask.reduce((a, b) => a + b, 0), tokens: batch.valid.reduce((a, b) => a + b, 0) }, grads };
}

/** Payload of the `generate` job. */
export interface GenerateShardPayload {
  requests: ChatMessage[][];
  options: Omit<GenerateOptions, 'signal'>;
}

/** Generation of a share of the requests with the current weights (GRPO's sampling). */
export async function generateShard(context: ShardContext, payload: GenerateShardPayload): Promise<ShardOutput> {
  return { result: await context.model.generate(payload.requests, payload.options) };
}

/** The jobs every worker knows without a handler module. */
export const BUILT_IN_HANDLERS: ShardHandlers = {
  'sft-gradients': sftShardGradients as never,
  generate: generateShard as never,
  'vision-gradients': visionShardGradients as never,
};
