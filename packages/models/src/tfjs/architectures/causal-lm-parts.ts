// Parts every Hugging Face causal language model here shares: the end-of-sequence tokens, the
// left-padded prompt batch of generation, and log-probabilities computed at the loss positions only.
import { gatherRows } from '../nn/gather-rows';
import { type Tensor, tf } from '../tf';
import type { HfTokenizer } from '../tokenizer/hf-tokenizer';
import type { TrainingBatch } from '../trainable/trainable-model';
import { idList } from './qwen2/qwen2-config';

/**
 * Tokens that end a completion: the tokenizer's end of turn (`eos_token` of tokenizer_config.json)
 * first, then every id generation_config.json and config.json call `eos_token_id`.
 */
export function stopTokenIdsOf(tokenizer: HfTokenizer, generationConfig: Record<string, unknown> | undefined, config: Record<string, unknown>): number[] {
  const endOfTurn = tokenizer.specialToken('eos_token');
  const ids = [endOfTurn !== undefined ? tokenizer.tokenId(endOfTurn) : undefined, ...idList(generationConfig?.eos_token_id as number | number[] | undefined), ...idList(config.eos_token_id as number | number[] | undefined)];
  const stops = [...new Set(ids.filter((id): id is number => id !== undefined))];
  if (stops.length === 0) throw new RangeError('the checkpoint names no end-of-sequence token (tokenizer_config.json eos_token or config.json eos_token_id)');
  return stops;
}

/** Prompts left-padded to one length: ids [rows × steps], where each row starts, 1/0 per position. */
export function leftPadded(prompts: ReadonlyArray<readonly number[]>, padId: number): { ids: Int32Array; steps: number; offsets: number[]; valid: number[][] } {
  const steps = Math.max(...prompts.map((p) => p.length));
  const offsets = prompts.map((p) => steps - p.length);
  const ids = new Int32Array(prompts.length * steps);
  const valid = prompts.map((p, b) => {
    const row: number[] = [];
    for (let t = 0; t < steps; t++) {
      const inPrompt = t >= (offsets[b] as number);
      ids[b * steps + t] = inPrompt ? (p[t - (offsets[b] as number)] as number) : padId;
      row.push(inPrompt ? 1 : 0);
    }
    return row;
  });
  return { ids, steps, offsets, valid };
}

/**
 * Log-probability of each target token, [B, T], computed at the positions the loss mask covers
 * only (0 elsewhere): with a vocabulary of 152k, logits at every prompt position would be most of
 * the memory of a step. `hidden` is [B·T, H]; `logitsOf` maps rows of it to logits.
 */
export function lossPositionLogProbs(hidden: Tensor, batch: TrainingBatch, vocabSize: number, logitsOf: (rows: Tensor) => Tensor): Tensor {
  const positions: number[] = [];
  const slot = new Int32Array(batch.batch * batch.steps);
  batch.lossMask.forEach((m, i) => {
    if (m > 0) {
      positions.push(i);
      slot[i] = positions.length;
    }
  });
  return tf.tidy(() => {
    if (positions.length === 0) return tf.zeros([batch.batch, batch.steps]);
    const logits = logitsOf(gatherRows(hidden, tf.tensor1d(positions, 'int32')));
    const targetIndex = tf.tensor1d(positions.map((p, n) => n * vocabSize + (batch.targets[p] as number)), 'int32');
    const targetLogits = tf.reshape(gatherRows(tf.reshape(logits, [-1, 1]), targetIndex), [-1]);
    const picked = tf.sub(targetLogits, tf.logSumExp(logits, -1));
    // Back to [B, T]: slot 0 is a zero for positions outside the mask.
    const table = tf.reshape(tf.concat([tf.zeros([1]), picked]), [-1, 1]);
    return tf.reshape(gatherRows(table, tf.tensor1d(slot, 'int32')), [batch.batch, batch.steps]);
  });
}
