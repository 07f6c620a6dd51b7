// Regular expressions in a tokenizer.json (pre-tokenizer splits, normalizer and decoder
// replacements) are run by JavaScript's backtracking engine, where a pattern such as (a+)+$ can take
// longer than the age of the universe on a short text. The split patterns of the tokenizers this
// package is used with are known and fast; a tokenizer with any other pattern runs in a worker
// thread under a time limit (see sandboxed-tokenizer.ts).

/** Split patterns of released tokenizers, as their tokenizer.json writes them. */
export const KNOWN_TOKENIZER_PATTERNS: ReadonlySet<string> = new Set([
  // Qwen2, Qwen2.5, Qwen2-VL, Qwen2.5-VL, Qwen3 and LLaVA-OneVision (a Qwen2 decoder).
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  // Llama 3 and 3.x (digits in groups of up to three).
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
]);

/** Every `{"Regex": …}` pattern of a parsed tokenizer.json, outside its vocabulary and merges. */
export function regexPatternsOf(tokenizerJson: unknown): string[] {
  const found: string[] = [];
  const walk = (value: unknown, key: string): void => {
    if (key === 'vocab' || key === 'merges' || value === null || typeof value !== 'object') return;
    const regex = (value as { Regex?: unknown }).Regex;
    if (typeof regex === 'string') found.push(regex);
    for (const [k, v] of Object.entries(value)) walk(v, k);
  };
  walk(tokenizerJson, '');
  return found;
}

/** The patterns of a tokenizer.json that are not known ones. */
export function unknownPatternsOf(tokenizerJson: unknown): string[] {
  return regexPatternsOf(tokenizerJson).filter((p) => !KNOWN_TOKENIZER_PATTERNS.has(p));
}
