// A handler module for DataParallelPool workers (bench only): the loss and gradients of a
// ready-made token batch, in as many passes as this thread's memory needs (planTrainingPasses),
// so the train-step bench can split its batch between threads like the trainers do.
import { planTrainingPasses, shardGradients, sftLoss, tf } from '../dist/tfjs/index.js';

/** Rows [from, to) of a batch whose rows all have the same length. */
export function batchRows(batch, from, to) {
  const span = (a) => a.slice(from * batch.steps, to * batch.steps);
  return { ...batch, batch: to - from, ids: span(batch.ids), targets: span(batch.targets), lossMask: span(batch.lossMask), valid: span(batch.valid) };
}

/** Every position trained, rows of equal length: each pass weighs its share of the rows. */
export function textBatchGradients(context, batch) {
  const plan = planTrainingPasses(context.model, { rows: batch.batch, sequenceLength: batch.steps, completionLength: batch.steps });
  let loss = 0;
  let summed;
  for (let from = 0; from < batch.batch; from += plan.rowsPerPass) {
    const part = batchRows(batch, from, Math.min(batch.batch, from + plan.rowsPerPass));
    const weight = part.batch / batch.batch;
    const { value, grads } = shardGradients(context, () => sftLoss(context.model, part));
    loss += weight * value;
    const previous = summed;
    summed = grads.map((g, i) => tf.tidy(() => (previous ? tf.add(previous[i], tf.mul(g, weight)) : tf.mul(g, weight))));
    tf.dispose([...grads, ...(previous ?? [])]);
  }
  return { result: { loss, passes: plan.passes }, grads: summed };
}

export const shardHandlers = {
  'text-batch-gradients': async (context, { batch }) => textBatchGradients(context, batch),
};
