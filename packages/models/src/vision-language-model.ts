import type { ChatMessage } from './chat';

/** Decoding options; every model honours what it can and documents the rest. */
export interface GenerateOptions {
  /** Largest number of new tokens per completion; default per model (the protocol uses 512). */
  maxNewTokens?: number;
  /** 0 means greedy decoding. */
  temperature?: number;
  topP?: number;
  topK?: number;
  /** Completions per request (GRPO groups); default 1. */
  n?: number;
  /** Sampling seed (in-process models: sample j of request i draws from its own stream seeded by (seed, i, j)). */
  seed?: number;
  /**
   * One seed per request, instead of deriving each from `seed`: what lets a trainer split requests
   * across workers and still sample what a single batch would. In-process models only.
   */
  seeds?: readonly number[];
  /** Stop sequences. */
  stop?: string[];
  /** Cancels in-flight work. */
  signal?: AbortSignal;
}

/** One completion. */
export interface Completion {
  text: string;
  /** Token ids of the completion, when the model exposes them. */
  tokenIds?: number[];
  /**
   * Per-token log-probabilities of `tokenIds` under the model's raw distribution (temperature 1,
   * before top-k / top-p), when the model exposes them: what GRPO's ratio and KL are computed from.
   */
  logProbs?: number[];
  /**
   * The end-of-sequence token that ended decoding, when one did (in-process models): it is not
   * part of `tokenIds` or `text`, but a trainer that learns the completion learns it too.
   */
  endOfSequence?: { tokenId: number; logProb: number };
  /** Why decoding ended: end of sequence / stop string, or the token budget. */
  finishReason?: 'stop' | 'length' | 'other';
}

/** The completions of one request. */
export interface GenerateResult {
  completions: Completion[];
}

/**
 * What every VLM in IAD-R1 implements: chat requests whose user content mixes text and images in,
 * completions out. Evaluation and dataset construction depend on this interface only.
 *
 * @example
 * const [result] = await model.generate([messages], { maxNewTokens: 512, temperature: 0 });
 * console.log(result.completions[0].text);
 */
export interface VisionLanguageModel {
  /** A readable identity for logs and reports, e.g. `openai:Qwen2.5-VL-7B-Instruct`. */
  readonly id: string;
  /** One result per request, in order. */
  generate(requests: readonly ChatMessage[][], options?: GenerateOptions): Promise<GenerateResult[]>;
}
