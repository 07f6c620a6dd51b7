// Parts every Hugging Face causal language model here shares: the end-of-sequence tokens, the
// left-padded prompt batch of generation, KV-cached decoding through the Qwen2 decoder, and
// log-probabilities computed at the loss positions only.
import type { ChatMessage } from '../../chat';
import type { Completion, GenerateOptions, GenerateResult } from '../../vision-language-model';
import { decodeLoop } from '../generation/decode-loop';
import { sampleStreams } from '../generation/seeded-random';
import { type KvCache, MASKED, causalPaddingBias } from '../nn/attention';
import { gatherRows } from '../nn/gather-rows';
import { rotaryTables } from '../nn/rotary';
import type { WeightSet } from '../nn/weights';
import { type Tensor, tf } from '../tf';
import type { HfTokenizer } from '../tokenizer/hf-tokenizer';
import type { TrainingBatch } from '../trainable/trainable-model';
import { type Qwen2DecoderConfig, idList } from './qwen2/qwen2-config';
import { type RotaryInputs, qwen2Decoder, qwen2Logits } from './qwen2/qwen2-decoder';

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

/** `generate`'s outer loop: each request repeated `n` times, decoded in chunks of `chunk` rows, grouped back per request. */
export async function generateInChunks(requests: readonly ChatMessage[][], options: GenerateOptions, chunk: number, decodeRows: (rows: ChatMessage[][], random: ReadonlyArray<() => number>) => Promise<Completion[]>): Promise<GenerateResult[]> {
  const n = options.n ?? 1;
  const expanded = requests.flatMap((messages) => Array.from({ length: n }, () => messages));
  const streams = sampleStreams(requests.length, n, options);
  const completions: Completion[] = [];
  for (let start = 0; start < expanded.length; start += chunk) {
    if (options.signal?.aborted) throw options.signal.reason;
    completions.push(...(await decodeRows(expanded.slice(start, start + chunk), streams.slice(start, start + chunk))));
  }
  return requests.map((_, i) => ({ completions: completions.slice(i * n, (i + 1) * n) }));
}

/** What {@link qwen2DecodeRows} needs of a Qwen2-decoder model. */
export interface Qwen2Decoding {
  weights: WeightSet;
  decoder: Qwen2DecoderConfig;
  prefix: string;
  head: string;
  tokenizer: HfTokenizer;
  stopTokenIds: readonly number[];
  inverseFrequencies: Float32Array;
}

/**
 * KV-cached decoding of left-padded prompts through the Qwen2 decoder, the decoding loop every
 * model shares doing the sampling: the prompt pass takes the model's input embeddings and rotary
 * tables (`prefill`), every new token rotates by `nextPositions[row] + step` (after the prompt, all
 * three M-RoPE axes move together: plain RoPE).
 */
export function qwen2DecodeRows(
  m: Qwen2Decoding,
  prompt: { rows: number; steps: number; valid: number[][]; nextPositions: readonly number[]; prefill: () => { inputs: Tensor; rope: RotaryInputs } },
  options: GenerateOptions,
  random: ReadonlyArray<() => number>,
): Promise<Completion[]> {
  const c = m.decoder;
  const { rows, steps, valid } = prompt;
  let caches: KvCache[] = [];
  const lastLogits = (hidden: Tensor, at: number) => tf.tidy(() => qwen2Logits(tf.reshape(tf.slice(hidden, [0, at, 0], [rows, 1, c.hiddenSize]), [rows, c.hiddenSize]), m.weights, c, m.prefix, m.head));
  return decodeLoop(
    {
      prefill: () =>
        tf.tidy(() => {
          const { inputs, rope } = prompt.prefill();
          const bias = causalPaddingBias(tf.tensor2d(valid.flat(), [rows, steps]), steps);
          const out = qwen2Decoder(inputs, m.weights, c, m.prefix, rope, bias, []);
          caches = out.caches;
          return lastLogits(out.hidden, steps - 1);
        }),
      step: (next, step) => {
        for (let b = 0; b < rows; b++) valid[b]!.push(1);
        const total = steps + step + 1;
        const previous = caches;
        const logits = tf.tidy(() => {
          const bias = tf.reshape(tf.mul(tf.sub(1, tf.tensor2d(valid.flat(), [rows, total])), MASKED), [rows, 1, 1, total]);
          const { cos, sin } = rotaryTables(
            prompt.nextPositions.map((p) => p + step),
            m.inverseFrequencies,
          );
          const rope = { cos: tf.tensor4d(cos, [rows, 1, 1, c.headDim]), sin: tf.tensor4d(sin, [rows, 1, 1, c.headDim]) };
          const embedded = tf.reshape(gatherRows(m.weights.get(`${m.prefix}.embed_tokens.weight`), tf.tensor1d(next, 'int32')), [rows, 1, c.hiddenSize]);
          const out = qwen2Decoder(embedded, m.weights, c, m.prefix, rope, bias, previous);
          caches = out.caches;
          return lastLogits(out.hidden, 0);
        });
        for (const cache of previous) tf.dispose([cache.k, cache.v]);
        return logits;
      },
      dispose: () => {
        for (const cache of caches) tf.dispose([cache.k, cache.v]);
        caches = [];
      },
    },
    {
      rows,
      vocabSize: c.vocabSize,
      maxNewTokens: options.maxNewTokens ?? 512,
      temperature: options.temperature ?? 0,
      ...(options.topK !== undefined ? { topK: options.topK } : {}),
      ...(options.topP !== undefined ? { topP: options.topP } : {}),
      stopTokenIds: m.stopTokenIds,
      ...(options.stop ? { stopStrings: options.stop } : {}),
      decode: (tokens) => m.tokenizer.decode(tokens),
      random,
      ...(options.signal ? { signal: options.signal } : {}),
    },
  );
}

/**
 * Token ids with the i-th image token repeated `counts[i]` times (the image's feature count); throws
 * when the chat template placed another number of image tokens than there are images.
 */
export function expandImageTokens(encoded: readonly number[], imageTokenId: number, counts: readonly number[]): number[] {
  const ids: number[] = [];
  let k = 0;
  for (const id of encoded) {
    if (id !== imageTokenId) {
      ids.push(id);
      continue;
    }
    const count = counts[k++];
    if (count === undefined) throw new RangeError(`the chat template placed more image tokens than the ${counts.length} image(s) of the conversation`);
    for (let i = 0; i < count; i++) ids.push(id);
  }
  if (k !== counts.length) throw new RangeError(`the chat template placed ${k} image token(s) for ${counts.length} image(s)`);
  return ids;
}

/** Token embeddings [N, H] with each image token's row replaced by the next row of `features`, in order. */
export function placeImageFeatures(tokens: Tensor, features: Tensor, ids: Int32Array, imageTokenId: number): Tensor {
  return tf.tidy(() => {
    const placed = new Int32Array(ids.length);
    let k = 0;
    ids.forEach((id, i) => (placed[i] = id === imageTokenId ? ids.length + k++ : i));
    if (k !== features.shape[0]) throw new RangeError(`${k} image tokens for ${features.shape[0]} image features`);
    return gatherRows(tf.concat([tokens, features]), tf.tensor1d(placed, 'int32'));
  });
}
