import type { PairRecord } from '../records';

/**
 * Writes the two generated texts of a pair (docs/METHOD.md §7 steps 2 and 3). Implementations:
 * `vlmDescriber` (any `VisionLanguageModel`, e.g. a Qwen-VL behind vLLM) and
 * `templateDescriber` (offline, no model).
 */
export interface Describer {
  /** Recorded with every text it writes, e.g. `template` or `openai:Qwen2.5-VL-72B-Instruct`. */
  readonly id: string;
  /** The detailed comparison of reference and query. `highlightImage` is the outlined query copy (anomalous pairs). */
  describe(pair: PairRecord, highlightImage: string | undefined): Promise<string>;
  /**
   * The raw think-pass reply for a description: `<think>…</think><type>…</type>` (anomalous) or
   * `<think>…</think>` (normal). `attempt` counts from 1; a retry may sample differently.
   */
  think(pair: PairRecord, description: string, attempt: number): Promise<string>;
}
