import type { Completion } from '../../vision-language-model';
import { type Tensor } from '../tf';
import { type SamplingOptions, sampleToken, tokenLogProb } from './sample-token';

/**
 * A batch of prompts being decoded with a KV cache, as a model exposes it to {@link decodeLoop}:
 * the next-token logits after the prompts, then after each appended token. The model owns the
 * cache; `dispose` frees it.
 */
export interface IncrementalDecoder {
  /** Runs the prompts; returns the next-token logits of every row, [rows, vocab]. */
  prefill(): Tensor;
  /** Appends one token per row (`step` counts from 0) and returns the next logits, [rows, vocab]. */
  step(tokens: Int32Array, step: number): Tensor;
  /** Frees the cache. */
  dispose(): void;
}

/** Options of {@link decodeLoop}. */
export interface DecodeLoopOptions extends SamplingOptions {
  rows: number;
  vocabSize: number;
  maxNewTokens: number;
  /** Tokens that end a row (end of turn, end of text); the first also fills finished rows. */
  stopTokenIds: readonly number[];
  /** Text that ends a row once the decoded completion ends with it (kept in the text). */
  stopStrings?: readonly string[];
  /** Token ids → text, for the completion and the stop strings. */
  decode: (ids: readonly number[]) => string;
  /** The uniform source sampling draws from: one for every row, or one per row (`sampleStreams`), which makes each row's draws independent of the others in the batch. */
  random: (() => number) | ReadonlyArray<() => number>;
  signal?: AbortSignal;
}

/**
 * The decoding loop every in-process model shares: sample a token per unfinished row (seeded;
 * greedy at temperature 0), record its log-probability under the raw logits, stop a row at a
 * stop token, a stop string or the token budget, and feed the tokens back through the model's
 * cache. Returns one completion per row: text, token ids (without the stop token), per-token
 * log-probabilities, why it ended, and the stop token with its log-probability when one ended it.
 *
 * @example
 * const completions = await decodeLoop(decoder, { rows: 2, vocabSize, maxNewTokens: 64, temperature: 0, stopTokenIds: [eos], decode, random: mulberry32(0) });
 */
export async function decodeLoop(decoder: IncrementalDecoder, options: DecodeLoopOptions): Promise<Completion[]> {
  const { rows, vocabSize } = options;
  const stops = new Set(options.stopTokenIds);
  const filler = options.stopTokenIds[0] ?? 0;
  const generated: number[][] = Array.from({ length: rows }, () => []);
  const logProbs: number[][] = Array.from({ length: rows }, () => []);
  const endings: Array<Completion['endOfSequence']> = Array.from({ length: rows }, () => undefined);
  const finished: Array<Completion['finishReason'] | undefined> = Array.from({ length: rows }, () => undefined);
  const sampling: SamplingOptions = { temperature: options.temperature, ...(options.topK !== undefined ? { topK: options.topK } : {}), ...(options.topP !== undefined ? { topP: options.topP } : {}) };
  let last: Tensor | undefined;
  try {
    last = decoder.prefill();
    for (let step = 0; step < options.maxNewTokens; step++) {
      if (options.signal?.aborted) throw options.signal.reason;
      const logits = (await last.data()) as Float32Array;
      last.dispose();
      last = undefined;
      const next = new Int32Array(rows);
      for (let b = 0; b < rows; b++) {
        if (finished[b]) {
          next[b] = filler;
          continue;
        }
        const row = logits.subarray(b * vocabSize, (b + 1) * vocabSize);
        const token = sampleToken(row, sampling, typeof options.random === 'function' ? options.random : (options.random[b] as () => number));
        next[b] = token;
        if (stops.has(token)) {
          finished[b] = 'stop';
          endings[b] = { tokenId: token, logProb: tokenLogProb(row, token) };
          continue;
        }
        generated[b]!.push(token);
        logProbs[b]!.push(tokenLogProb(row, token));
        if (options.stopStrings?.some((s) => options.decode(generated[b]!).endsWith(s))) finished[b] = 'stop';
      }
      if (finished.every(Boolean) || step === options.maxNewTokens - 1) break;
      last = decoder.step(next, step);
    }
  } finally {
    last?.dispose();
    decoder.dispose();
  }
  return generated.map((tokens, b) => {
    const ending = endings[b];
    return { text: options.decode(tokens), tokenIds: tokens, logProbs: logProbs[b] as number[], finishReason: finished[b] ?? 'length', ...(ending ? { endOfSequence: ending } : {}) };
  });
}
