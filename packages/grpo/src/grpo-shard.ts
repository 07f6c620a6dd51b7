// The GRPO update's share of one thread, the same code in the calling thread and in every
// data-parallel worker (which load this module by its built path: see `GRPO_SHARD_MODULE`).
import type { Completion } from '@iad-r1/models';
import { type ShardContext, type ShardHandlers, type ShardOutput, type TrainingBatch, type TrainingExample, shardGradients, tf } from '@iad-r1/models/tfjs';
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
}

/** Result of the `grpo-gradients` job: the shard's loss, KL and clip share, and what weights them. */
export interface GrpoShardResult {
  loss: number;
  kl: number;
  clipFraction: number;
  sequences: number;
  /** Completion tokens (the loss mask's ones). */
  tokens: number;
}

interface PreparedShard {
  key: string;
  batch: TrainingBatch;
  tensors: { mask: tf.Tensor; advantages: tf.Tensor; refLogProbs: tf.Tensor; oldLogProbs?: tf.Tensor };
}

const PREPARED = 'grpo-shard';

async function prepare(context: ShardContext, payload: GrpoShardPayload): Promise<PreparedShard> {
  const held = context.state.get(PREPARED) as PreparedShard | undefined;
  if (held?.key === payload.key) return held;
  releaseGrpoShard(context);
  if (!context.reference) throw new RangeError('a GRPO shard needs the reference policy; start the workers with referenceDir');
  const reference = context.reference;
  const batch = await context.model.prepareTrainingBatch(payload.examples);
  const oldLogProbs =
    payload.oldPolicy === 'sampled' ? sampledLogProbs(batch, payload.completions ?? []) : payload.oldPolicy === 'forward' ? tf.tidy(() => context.model.tokenLogProbs(batch)) : undefined;
  const prepared: PreparedShard = {
    key: payload.key,
    batch,
    tensors: {
      mask: tf.tensor2d(batch.lossMask, [batch.batch, batch.steps]),
      advantages: tf.tensor1d(payload.advantages),
      refLogProbs: tf.tidy(() => reference.tokenLogProbs(batch)),
      ...(oldLogProbs ? { oldLogProbs } : {}),
    },
  };
  context.state.set(PREPARED, prepared);
  return prepared;
}

/**
 * One shard's SC-GRPO loss and its gradients. Over a step's sequences, weighting each shard's loss
 * by its share of the sequences (`sequence-mean`, `dr-grpo`) or of the completion tokens
 * (`token-mean`) gives the whole step's loss; the KL and clip share weight by tokens.
 */
export async function grpoShardGradients(context: ShardContext, payload: GrpoShardPayload): Promise<ShardOutput & { result: GrpoShardResult }> {
  const { batch, tensors } = await prepare(context, payload);
  let kl = 0;
  let clipFraction = 0;
  const { value, grads } = shardGradients(context, () => {
    const objective = grpoObjective({
      logProbs: context.model.tokenLogProbs(batch),
      ...(tensors.oldLogProbs ? { oldLogProbs: tensors.oldLogProbs } : {}),
      refLogProbs: tensors.refLogProbs,
      advantages: tensors.advantages,
      mask: tensors.mask,
      beta: payload.beta,
      epsilon: payload.epsilon,
      aggregation: payload.aggregation,
      maxLength: payload.maxLength,
    });
    kl = objective.kl.dataSync()[0] as number;
    clipFraction = objective.clipFraction.dataSync()[0] as number;
    return objective.loss;
  });
  return { result: { loss: value, kl, clipFraction, sequences: batch.batch, tokens: batch.lossMask.reduce((a, b) => a + b, 0) }, grads };
}

/** Frees the step's prepared shard (its batch's tensors and log-probabilities). */
export function releaseGrpoShard(context: ShardContext): void {
  const held = context.state.get(PREPARED) as PreparedShard | undefined;
  if (!held) return;
  tf.dispose(Object.values(held.tensors));
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
