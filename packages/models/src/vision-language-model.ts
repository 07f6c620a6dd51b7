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
  seed?: number;
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
  /** Per-token log-probabilities of the completion, when the model exposes them. */
  logProbs?: number[];
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
