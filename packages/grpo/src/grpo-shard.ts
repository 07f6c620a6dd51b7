// The GRPO update's share of one thread, the same code in the calling thread and in every
// data-parallel worker (which load this module by its built path: see `GRPO_SHARD_MODULE`).
import type { Completion } from '@iad-r1/models';
import { type ShardContext, type ShardHandlers, type ShardOutput, type TrainingBatch, type TrainingExample, accumulateWeightedGradients, planTrainingPasses, shardGradients, tf } from '@iad-r1/models/tfjs';
import { type LossAggregation, grpoObjective } from './grpo-objective';

/** What a completion must say for its sampling log-probabilities to be laid out on a batch. */
export type SampledCompletion = Pick<Completion, 'tokenIds' | 'logProbs' | 'endOfSequence'>;

/**
 * The sampling policy's log-probabilities [S, T] laid out like the batch's loss mask: each
 * completion's per-token values, then its end token's.
 */
export function sampledLogProbs(batch: TrainingBatch, completions: readonly SampledCompletion[]): tf.Tensor {
  const values = new Float32Array(batch.batch * batch.steps);
  completions.forEach((c, row) => {
    const perToken = [...(c.logProbs ?? []), ...(c.endOfSequence ? [c.endOfSequence.logProb] : [])];
    if (c.tokenIds && perToken.length !== c.tokenIds.length + (c.endOfSequence ? 1 : 0)) throw new RangeError(`completion ${row} has ${perToken.length} log-probabilities for ${c.tokenIds.length} tokens`);
    let k = 0;
    for (let t = 0; t < batch.steps && k < perToken.length; t++) {
      if (batch.lossMask[row * batch.steps + t] === 1) values[row * batch.steps + t] = perToken[k++] as number;
    }
  });
  return tf.tensor2d(values, [batch.batch, batch.steps]);
}

/** Payload of the `grpo-gradients` job: one shard of a step's sampled sequences. */
export interface GrpoShardPayload {
  /** Names the step: a thread prepares the shard's batch once and keeps it for the step's inner updates. */
  key: string;
  /** The shard's sequences: prompt and sampled completion ids. */
  examples: TrainingExample[];
  /** One advantage per sequence (computed over whole groups by the caller). */
  advantages: number[];
  /**
   * π_θold: `detached` — the policy itself (μ = 1); `sampled` — the log-probabilities recorded while
   * sampling (`completions`); `forward` — a forward pass before the first update.
   */
  oldPolicy: 'detached' | 'sampled' | 'forward';
  completions?: SampledCompletion[];
  beta: number;
  epsilon: number;
  aggregation: LossAggregation;
  maxLength: number;
  /** Bytes this thread's tensors may take (default: the backend's, `backendMemoryLimit`). */
  limitBytes?: number;
}

/** Result of the `grpo-gradients` job: the shard's loss, KL and clip share, and what weights them. */
export interface GrpoShardResult {
  loss: number;
  kl: number;
  clipFraction: number;
  sequences: number;
  /** Completion tokens (the loss mask's ones). */
  tokens: number;
  /** Forward/backward passes the shard took to fit this thread's memory (`planTrainingPasses`). */
  passes: number;
  /** Estimated bytes of one pass (0 when the model has no registry shape to estimate from). */
  bytesPerPass: number;
}

/** One pass's sequences: their batch and the tensors the objective reads. */
interface PreparedPass {
  batch: TrainingBatch;
  tokens: number;
  tensors: { mask: tf.Tensor; advantages: tf.Tensor; refLogProbs: tf.Tensor; oldLogProbs?: tf.Tensor };
}

interface PreparedShard {
  key: string;
  passes: PreparedPass[];
  sequences: number;
  tokens: number;
  bytesPerPass: number;
}

const PREPARED = 'grpo-shard';

async function preparePass(context: ShardContext, payload: GrpoShardPayload, from: number, to: number, prepared?: TrainingBatch): Promise<PreparedPass> {
  const reference = context.reference as NonNullable<ShardContext['reference']>;
  const batch = prepared ?? (await context.model.prepareTrainingBatch(payload.examples.slice(from, to)));
  const oldLogProbs =
    payload.oldPolicy === 'sampled' ? sampledLogProbs(batch, (payload.completions ?? []).slice(from, to)) : payload.oldPolicy === 'forward' ? tf.tidy(() => context.model.tokenLogProbs(batch)) : undefined;
  return {
    batch,
    tokens: batch.lossMask.reduce((a, b) => a + b, 0),
    tensors: {
      mask: tf.tensor2d(batch.lossMask, [batch.batch, batch.steps]),
      advantages: tf.tensor1d(payload.advantages.slice(from, to)),
      refLogProbs: tf.tidy(() => reference.tokenLogProbs(batch)),
      ...(oldLogProbs ? { oldLogProbs } : {}),
    },
  };
}

async function prepare(context: ShardContext, payload: GrpoShardPayload): Promise<PreparedShard> {
  const held = context.state.get(PREPARED) as PreparedShard | undefined;
  if (held?.key === payload.key) return held;
  releaseGrpoShard(context);
  if (!context.reference) throw new RangeError('a GRPO shard needs the reference policy; start the workers with referenceDir');
  // The shard in as many passes as this thread's memory needs, planned on the whole shard's padded length.
  const whole = await context.model.prepareTrainingBatch(payload.examples);
  const tokens = whole.lossMask.reduce((a, b) => a + b, 0);
  const plan = planTrainingPasses(context.model, { rows: whole.batch, sequenceLength: whole.steps, completionLength: tokens / Math.max(1, whole.batch), ...(payload.limitBytes !== undefined ? { limitBytes: payload.limitBytes } : {}) });
  const passes: PreparedPass[] = [];
  try {
    if (plan.passes === 1) passes.push(await preparePass(context, payload, 0, payload.examples.length, whole));
    else for (let from = 0; from < payload.examples.length; from += plan.rowsPerPass) passes.push(await preparePass(context, payload, from, Math.min(payload.examples.length, from + plan.rowsPerPass)));
  } catch (error) {
    for (const p of passes) tf.dispose(Object.values(p.tensors));
    throw error;
  }
  const prepared: PreparedShard = { key: payload.key, passes, sequences: whole.batch, tokens, bytesPerPass: plan.bytesPerPass };
  context.state.set(PREPARED, prepared);
  return prepared;
}

/**
 * One shard's SC-GRPO loss and its gradients. Over a step's sequences, weighting each shard's loss
 * by its share of the sequences (`sequence-mean`, `dr-grpo`) or of the completion tokens
 * (`token-mean`) gives the whole step's loss; the KL and clip share weight by tokens. A shard too
 * large for this thread's memory (`planTrainingPasses`) is computed in several passes, weighted the
 * same way (gradient accumulation: the same result up to float rounding).
 */
export async function grpoShardGradients(context: ShardContext, payload: GrpoShardPayload): Promise<ShardOutput & { result: GrpoShardResult }> {
  const shard = await prepare(context, payload);
  let loss = 0;
  let kl = 0;
  let clipFraction = 0;
  let summed: tf.Tensor[] | undefined;
  for (const pass of shard.passes) {
    // A pass is weighted within the shard as shards are within the step: by sequences, or by
    // tokens for token-mean; the KL and clip share by tokens.
    const tokenShare = shard.tokens > 0 ? pass.tokens / shard.tokens : pass.batch.batch / shard.sequences;
    const weight = payload.aggregation === 'token-mean' ? tokenShare : pass.batch.batch / shard.sequences;
    let passKl = 0;
    let passClip = 0;
    const { value, grads } = shardGradients(context, () => {
      const objective = grpoObjective({
        logProbs: context.model.tokenLogProbs(pass.batch),
        ...(pass.tensors.oldLogProbs ? { oldLogProbs: pass.tensors.oldLogProbs } : {}),
        refLogProbs: pass.tensors.refLogProbs,
        advantages: pass.tensors.advantages,
        mask: pass.tensors.mask,
        beta: payload.beta,
        epsilon: payload.epsilon,
        aggregation: payload.aggregation,
        maxLength: payload.maxLength,
      });
      passKl = objective.kl.dataSync()[0] as number;
      passClip = objective.clipFraction.dataSync()[0] as number;
      return objective.loss;
    });
    loss += weight * value;
    kl += tokenShare * passKl;
    clipFraction += tokenShare * passClip;
    if (shard.passes.length === 1) {
      summed = grads;
      break;
    }
    summed = accumulateWeightedGradients(summed, grads, weight);
  }
  return { result: { loss, kl, clipFraction, sequences: shard.sequences, tokens: shard.tokens, passes: shard.passes.length, bytesPerPass: shard.bytesPerPass }, grads: summed ?? [] };
}

/** Frees the step's prepared shard (its batch's tensors and log-probabilities). */
export function releaseGrpoShard(context: ShardContext): void {
  const held = context.state.get(PREPARED) as PreparedShard | undefined;
  if (!held) return;
  for (const pass of held.passes) tf.dispose(Object.values(pass.tensors));
  context.state.delete(PREPARED);
}

/** The GRPO jobs for `DataParallelPool` workers. */
export const shardHandlers: ShardHandlers = {
  'grpo-gradients': grpoShardGradients as never,
  'grpo-release': (async (context: ShardContext) => {
    releaseGrpoShard(context);
    return { result: null };
  }) as never,
};
