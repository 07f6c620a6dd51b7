import type { Tensor, Variable } from '../tf';
import type { TrainableModel } from '../trainable/trainable-model';

/**
 * What a shard of a data-parallel step runs against, in the main thread or in a worker: the
 * model, the variables kept equal in every thread (the trained ones, in a fixed order), the frozen
 * reference policy when the run has one, and a scratch map for state that lives across calls of
 * one step (GRPO's prepared batch between its inner updates).
 */
export interface ShardContext {
  model: TrainableModel;
  /** The synchronised variables, in the order gradients are returned. */
  variables: ReadonlyArray<readonly [string, Variable]>;
  reference?: TrainableModel;
  state: Map<string, unknown>;
}

/** A shard's answer: a structured-cloneable result and, for a gradient job, one gradient per synchronised variable. */
export interface ShardOutput {
  result: unknown;
  grads?: Tensor[];
}

/**
 * One kind of shard work (a loss and its gradients, a generation), the same function in every
 * thread. Payloads and results cross threads by structured clone: plain data, typed arrays, no
 * functions.
 */
export type ShardHandler = (context: ShardContext, payload: never) => Promise<ShardOutput>;

/** What a handler module exports for the workers: its handlers by job name. */
export type ShardHandlers = Readonly<Record<string, ShardHandler>>;
