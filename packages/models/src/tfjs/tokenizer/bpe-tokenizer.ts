import { z } from 'zod';
import type { TextTokenizer } from './text-tokenizer';

/** Special tokens: padding, sequence bounds, chat roles, the image placeholder and the output tags. */
export const SPECIAL_TOKENS = [
  '<pad>',
  '<bos>',
  '<eos>',
  '<unk>',
  '<image>',
  '<|system|>',
  '<|user|>',
  '<|assistant|>',
  '<think>',
  '</think>',
  '<location>',
  '</location>',
  '<type>',
  '</type>',
  '<answer>',
  '</answer>',
] as const;

const SPECIAL_PATTERN = new RegExp(SPECIAL_TOKENS.map((t) => t.replace(/[|<>/]/g, (c) => `\\${c}`)).join('|'), 'g');
// Words with their leading space, numbers, punctuation runs, whitespace (GPT-2 style).
const WORD_PATTERN = / ?[A-Za-z\u00C0-\u024F]+| ?[0-9]+| ?[^\sA-Za-z0-9\u00C0-\u024F]+|\s+/g;

/** `tokenizer.json` as we write it: the shape of a Hugging Face BPE tokenizer file. */
export const tokenizerFileSchema = z.object({
  version: z.literal('1.0'),
  added_tokens: z.array(z.object({ id: z.number().int(), content: z.string(), special: z.literal(true) })),
  pre_tokenizer: z.object({ type: z.literal('Split'), pattern: z.object({ Regex: z.string() }) }),
  model: z.object({
    type: z.literal('BPE'),
    unk_token: z.string(),
    vocab: z.record(z.string(), z.number().int()),
    /** Merge rules in rank order, as [left, right] pairs (symbols may contain spaces). */
    merges: z.array(z.tuple([z.string(), z.string()])),
  }),
});
export type TokenizerFile = z.infer<typeof tokenizerFileSchema>;

// Symbols can be spaces, so pairs are keyed with a separator no text contains.
const SEPARATOR = '\u0001';
function pairKey(a: string, b: string): string {
  return `${a}${SEPARATOR}${b}`;
}

function pieces(text: string): Array<{ special: boolean; text: string }> {
  const out: Array<{ special: boolean; text: string }> = [];
  let last = 0;
  for (const match of text.matchAll(SPECIAL_PATTERN)) {
    if (match.index > last) out.push({ special: false, text: text.slice(last, match.index) });
    out.push({ special: true, text: match[0] });
    last = match.index + match[0].length;
  }
  if (last < text.length) out.push({ special: false, text: text.slice(last) });
  return out;
}

function words(text: string): string[] {
  return text.match(WORD_PATTERN) ?? [];
}

/**
 * A byte-pair-encoding tokenizer trained on the training corpus, with the chat roles, the image
 * placeholder and the output tags as single special tokens. Saved and loaded as a
 * Hugging Face-style `tokenizer.json`.
 *
 * @example
 * const tokenizer = BpeTokenizer.train(corpusTexts, { vocabSize: 512 });
 * tokenizer.decode(tokenizer.encode('<think>A scratch.</think>')); // '<think>A scratch.</think>'
 */
export class BpeTokenizer implements TextTokenizer {
  readonly vocab: ReadonlyMap<string, number>;
  readonly idToToken: readonly string[];
  private readonly ranks: ReadonlyMap<string, number>;
  private readonly cache = new Map<string, number[]>();

  private constructor(
    vocab: Map<string, number>,
    readonly merges: ReadonlyArray<readonly [string, string]>,
  ) {
    this.vocab = vocab;
    const ids: string[] = [];
    for (const [token, id] of vocab) ids[id] = token;
    this.idToToken = ids;
    this.ranks = new Map(merges.map(([a, b], i) => [pairKey(a, b), i]));
  }

  get size(): number {
    return this.idToToken.length;
  }

  /** Id of a special token. */
  special(token: (typeof SPECIAL_TOKENS)[number]): number {
    return this.vocab.get(token) as number;
  }

  /**
   * Learns merges from texts until the vocabulary reaches `vocabSize` or no pair repeats.
   * Deterministic: ties go to the lexicographically first pair.
   */
  static train(texts: readonly string[], options: { vocabSize: number }): BpeTokenizer {
    const counts = new Map<string, number>();
    for (const text of texts) {
      for (const piece of pieces(text)) if (!piece.special) for (const w of words(piece.text)) counts.set(w, (counts.get(w) ?? 0) + 1);
    }
    const vocab = new Map<string, number>();
    for (const token of SPECIAL_TOKENS) vocab.set(token, vocab.size);
    const alphabet = [...new Set([...counts.keys()].flatMap((w) => [...w]))].sort();
    for (const ch of alphabet) vocab.set(ch, vocab.size);
    const entries = [...counts].map(([w, c]) => ({ symbols: [...w], count: c }));
    const merges: Array<[string, string]> = [];
    while (vocab.size < options.vocabSize) {
      const pairs = new Map<string, number>();
      for (const { symbols, count } of entries) {
        for (let i = 0; i + 1 < symbols.length; i++) {
          const key = pairKey(symbols[i] as string, symbols[i + 1] as string);
          pairs.set(key, (pairs.get(key) ?? 0) + count);
        }
      }
      let best: string | undefined;
      let bestCount = 1;
      for (const [pair, count] of pairs) {
        if (count > bestCount || (count === bestCount && best !== undefined && pair < best)) {
          best = pair;
          bestCount = count;
        }
      }
      if (!best) break;
      const [a, b] = best.split(SEPARATOR) as [string, string];
      merges.push([a, b]);
      vocab.set(a + b, vocab.size);
      for (const entry of entries) {
        const s = entry.symbols;
        for (let i = 0; i + 1 < s.length; i++) {
          if (s[i] === a && s[i + 1] === b) s.splice(i, 2, a + b);
        }
      }
    }
    return new BpeTokenizer(vocab, merges);
  }

  private encodeWord(word: string): number[] {
    const cached = this.cache.get(word);
    if (cached) return cached;
    let symbols = [...word];
    for (;;) {
      let bestRank = Infinity;
      let at = -1;
      for (let i = 0; i + 1 < symbols.length; i++) {
        const rank = this.ranks.get(pairKey(symbols[i] as string, symbols[i + 1] as string));
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          at = i;
        }
      }
      if (at < 0) break;
      symbols = [...symbols.slice(0, at), `${symbols[at]}${symbols[at + 1]}`, ...symbols.slice(at + 2)];
    }
    const unk = this.special('<unk>');
    const ids = symbols.map((s) => this.vocab.get(s) ?? unk);
    this.cache.set(word, ids);
    return ids;
  }

  /** Token ids of a text; special tokens in the text become their single ids. */
  encode(text: string): number[] {
    const ids: number[] = [];
    for (const piece of pieces(text)) {
      if (piece.special) ids.push(this.vocab.get(piece.text) as number);
      else for (const w of words(piece.text)) ids.push(...this.encodeWord(w));
    }
    return ids;
  }

  /** Text of token ids; `<pad>`, `<bos>` and `<eos>` are dropped. */
  decode(ids: readonly number[]): string {
    const skip = new Set([this.special('<pad>'), this.special('<bos>'), this.special('<eos>')]);
    return ids
      .filter((id) => !skip.has(id))
      .map((id) => this.idToToken[id] ?? '')
      .join('');
  }

  /** The Hugging Face-style `tokenizer.json` object. */
  toJSON(): TokenizerFile {
    return {
      version: '1.0',
      added_tokens: SPECIAL_TOKENS.map((content) => ({ id: this.vocab.get(content) as number, content, special: true as const })),
      pre_tokenizer: { type: 'Split', pattern: { Regex: WORD_PATTERN.source } },
      model: { type: 'BPE', unk_token: '<unk>', vocab: Object.fromEntries(this.vocab), merges: this.merges.map(([a, b]) => [a, b] as [string, string]) },
    };
  }

  /** Reads a `tokenizer.json` written by `toJSON`. */
  static fromJSON(json: unknown): BpeTokenizer {
    const file = tokenizerFileSchema.parse(json);
    return new BpeTokenizer(new Map(Object.entries(file.model.vocab)), file.model.merges);
  }
}
