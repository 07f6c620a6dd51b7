import type { HfTokenizerFiles } from './hf-tokenizer';

// GPT-2's byte ↔ character table: printable bytes stand for themselves, the others map past 255.
function bytesToUnicode(): string[] {
  const printable = new Set([...Array.from({ length: 94 }, (_, i) => 33 + i), ...Array.from({ length: 12 }, (_, i) => 161 + i), ...Array.from({ length: 82 }, (_, i) => 174 + i)]);
  const table: string[] = [];
  let extra = 0;
  for (let b = 0; b < 256; b++) table[b] = String.fromCharCode(printable.has(b) ? b : 256 + extra++);
  return table;
}

/** A plain ChatML template (`<|im_start|>role\ncontent<|im_end|>\n`, then the assistant's turn): the format of Qwen's chats. */
export const CHATML_TEMPLATE =
  "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{% if message['content'] is string %}{{ message['content'] }}{% else %}{% for part in message['content'] %}{% if part['type'] == 'text' %}{{ part['text'] }}{% endif %}{% endfor %}{% endif %}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

/** Options of {@link byteLevelTokenizerFiles}. */
export interface ByteLevelTokenizerOptions {
  /** Merges to add after the 256 byte tokens, as pairs of byte-level symbols (default a few English ones). */
  merges?: ReadonlyArray<readonly [string, string]>;
  /** Special tokens after the merges (default `<|endoftext|>`, `<|im_start|>`, `<|im_end|>`). */
  specials?: readonly string[];
  /** The end-of-turn token of tokenizer_config.json (default `<|im_end|>`). */
  eosToken?: string;
  /** The chat template (default {@link CHATML_TEMPLATE}). */
  chatTemplate?: string;
}

/**
 * The files of the smallest real Hugging Face tokenizer: byte-level BPE with one token per byte
 * (ids 0–255), a few merges, and chat special tokens after them — for tiny random checkpoints
 * (tests, benchmarks, pipeline dry runs) whose vocabulary must be small. Read with
 * `HfTokenizer.fromFiles`, or written into a checkpoint folder by saving a model created with it.
 *
 * @example
 * const tokenizer = HfTokenizer.fromFiles(byteLevelTokenizerFiles());
 * tokenizer.size; // 256 + 4 merges + 3 specials = 263
 */
export function byteLevelTokenizerFiles(options: ByteLevelTokenizerOptions = {}): HfTokenizerFiles {
  const table = bytesToUnicode();
  const vocab: Record<string, number> = {};
  table.forEach((ch, b) => (vocab[ch] = b));
  const merges = options.merges ?? [['Ġ', 't'], ['h', 'e'], ['Ġt', 'he'], ['i', 'n']];
  merges.forEach(([a, b], i) => (vocab[`${a}${b}`] = 256 + i));
  const first = 256 + merges.length;
  const specials = options.specials ?? ['<|endoftext|>', '<|im_start|>', '<|im_end|>'];
  const added = specials.map((content, i) => ({ id: first + i, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }));
  const byteLevel = { add_prefix_space: false, trim_offsets: true, use_regex: true };
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', ...byteLevel },
    post_processor: null,
    decoder: { type: 'ByteLevel', ...byteLevel },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, vocab, merges: merges.map(([a, b]) => `${a} ${b}`) },
  };
  const config = {
    added_tokens_decoder: Object.fromEntries(added.map((t) => [String(t.id), { content: t.content, lstrip: false, normalized: false, rstrip: false, single_word: false, special: true }])),
    bos_token: null,
    eos_token: options.eosToken ?? '<|im_end|>',
    pad_token: specials[0] ?? null,
    chat_template: options.chatTemplate ?? CHATML_TEMPLATE,
    clean_up_tokenization_spaces: false,
    tokenizer_class: 'PreTrainedTokenizerFast',
  };
  return { tokenizer: JSON.stringify(tokenizer), tokenizerConfig: `${JSON.stringify(config, null, 2)}\n` };
}
