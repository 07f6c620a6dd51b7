import type { ChatMessage } from '../../chat';
import type { GenerateOptions } from '../../vision-language-model';
import type { TrainingExample } from '../trainable/trainable-model';
import { sftLoss } from '../trainable/sft-loss';
import { visionShardGradients } from '../training/pretrain-vision';
import { planTrainingPasses } from '../training/training-memory';
import type { Tensor } from '../tf';
import type { ShardContext, ShardHandlers, ShardOutput } from './shard-context';
import { accumulateWeightedGradients, shardGradients } from './shard-gradients';

/** Payload of the `sft-gradients` job. */
export interface SftShardPayload {
  examples: TrainingExample[];
  /** Bytes this thread's tensors may take (default: the backend's, `backendMemoryLimit`). */
  limitBytes?: number;
}

/**
 * Result of the `sft-gradients` job: the shard's mean loss, the completion tokens it averaged over,
 * the real tokens, and the passes it took to fit the backend's memory.
 */
export interface SftShardResult {
  loss: number;
  lossTokens: number;
  tokens: number;
  passes: number;
  /** Estimated bytes of one pass (0 when the model has no registry shape to estimate from). */
  bytesPerPass: number;
}

/**
 * One shard of a PA-SFT micro-batch: teacher-forced loss (mean over the shard's completion
 * tokens) and its gradients. Weighting each shard by its completion tokens gives the whole
 * micro-batch's mean. A shard too large for this thread's memory (`planTrainingPasses`) is
 * computed in several passes of fewer sequences, weighted the same way: gradient accumulation
 * inside the shard, the same result up to float rounding.
 */
export async function sftShardGradients(context: ShardContext, payload: SftShardPayload): Promise<ShardOutput & { result: SftShardResult }> {
  const batch = await context.model.prepareTrainingBatch(payload.examples);
  const lossTokens = batch.lossMask.reduce((a, b) => a + b, 0);
  const tokens = batch.valid.reduce((a, b) => a + b, 0);
  const plan = planTrainingPasses(context.model, { rows: batch.batch, sequenceLength: batch.steps, completionLength: lossTokens / Math.max(1, batch.batch), ...(payload.limitBytes !== undefined ? { limitBytes: payload.limitBytes } : {}) });
  if (plan.passes === 1) {
    const { value, grads } = shardGradients(context, () => sftLoss(context.model, batch));
    return { result: { loss: value, lossTokens, tokens, passes: 1, bytesPerPass: plan.bytesPerPass }, grads };
  }
  let loss = 0;
  let summed: Tensor[] | undefined;
  for (let from = 0; from < payload.examples.length; from += plan.rowsPerPass) {
    const part = await context.model.prepareTrainingBatch(payload.examples.slice(from, from + plan.rowsPerPass));
    const weight = lossTokens > 0 ? part.lossMask.reduce((a, b) => a + b, 0) / lossTokens : 0;
    const { value, grads } = shardGradients(context, () => sftLoss(context.model, part));
    loss += weight * value;
    summed = accumulateWeightedGradients(summed, grads, weight);
  }
  return { result: { loss, lossTokens, tokens, passes: plan.passes, bytesPerPass: plan.bytesPerPass }, grads: summed ?? [] };
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
