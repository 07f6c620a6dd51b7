import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Template } from '@huggingface/jinja';
import { Tokenizer } from '@huggingface/tokenizers';
import type { ChatMessage } from '../../chat';
import { CheckpointError } from '../checkpoint/checkpoint-error';
import { renderTemplateWithLimits } from './chat-template-renderer';
import { SandboxedTokenizer } from './sandboxed-tokenizer';
import type { TextTokenizer } from './text-tokenizer';
import { unknownPatternsOf } from './tokenizer-patterns';
import { IadR1Error } from '@iad-r1/errors';

/** Where a checkpoint's chat template was found, in the order they are looked for. */
export const CHAT_TEMPLATE_SOURCES = ['chat_template.jinja', 'chat_template.json', 'tokenizer_config.json'] as const;
export type ChatTemplateSource = (typeof CHAT_TEMPLATE_SOURCES)[number];

/** A message as chat templates read it: content a string, or parts `{type: 'text', text}` / `{type: 'image'}`. */
export type TemplateMessage = { role: string; content: string | Array<{ type: 'text'; text: string } | { type: 'image' }> };

/**
 * Characters per position a text may have before it is refused unread. Tokens of real text hold 3–5
 * characters, so this lets through every text whose tokens could fit the context.
 */
export const CHARACTERS_PER_POSITION = 8;

/** A text longer than the model could read, refused before tokenizing. */
export class TextTooLongError extends IadR1Error {
  override readonly name = 'TextTooLongError';
}

/** The special-token names of `tokenizer_config.json`. */
export type SpecialTokenName = 'bos_token' | 'eos_token' | 'pad_token' | 'unk_token';

/** The raw files a tokenizer came from, written back verbatim by `save`. */
export interface HfTokenizerFiles {
  /** `tokenizer.json`, as text. */
  tokenizer: string;
  /** `tokenizer_config.json`, as text, when there is one. */
  tokenizerConfig?: string;
  /** A separate chat template file (`chat_template.jinja` or `.json`), when there is one. */
  chatTemplateFile?: { name: 'chat_template.jinja' | 'chat_template.json'; text: string };
}

function tokenText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') return (value as { content: string }).content;
  return undefined;
}

function parseJson(text: string, file: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new CheckpointError(file, `is not valid JSON (${(error as Error).message})`);
  }
}

/**
 * A checkpoint's own tokenizer and chat template: `tokenizer.json` through
 * `@huggingface/tokenizers` (the pure-JS port of Hugging Face's tokenizers), special tokens from
 * `tokenizer_config.json`, and the chat template — `chat_template.jinja`, `chat_template.json` or
 * `tokenizer_config.json`'s `chat_template`, first found — rendered with `@huggingface/jinja`.
 *
 * @example
 * const tokenizer = await HfTokenizer.fromDir('Qwen2.5-VL-3B-Instruct');
 * const text = tokenizer.renderChat([{ role: 'user', content: 'Hello' }], { addGenerationPrompt: true });
 * tokenizer.encode(text); // [151644, 8948, …]
 */
export class HfTokenizer implements TextTokenizer {
  private readonly tokenizer: Tokenizer;
  private readonly config: Record<string, unknown>;
  private readonly template: Template | undefined;
  /** Set when tokenizer.json has regular expressions not known to be fast: encoding runs there, under a time limit. */
  private readonly sandbox: SandboxedTokenizer | undefined;
  /** Longest text {@link encode} accepts, when the model's context is known. */
  maxCharacters: number | undefined;
  /** The chat template text, when the checkpoint has one. */
  readonly chatTemplate: string | undefined;
  /** Which file it came from. */
  readonly chatTemplateSource: ChatTemplateSource | undefined;
  readonly size: number;

  private constructor(
    readonly files: HfTokenizerFiles,
    readonly dir: string,
  ) {
    const tokenizerJson = parseJson(files.tokenizer, join(dir, 'tokenizer.json'));
    this.config = files.tokenizerConfig ? parseJson(files.tokenizerConfig, join(dir, 'tokenizer_config.json')) : {};
    try {
      this.tokenizer = new Tokenizer(tokenizerJson, this.config);
    } catch (error) {
      throw new CheckpointError(join(dir, 'tokenizer.json'), `cannot be read by @huggingface/tokenizers (${(error as Error).message})`);
    }
    if (unknownPatternsOf(tokenizerJson).length > 0) this.sandbox = new SandboxedTokenizer(files.tokenizer, files.tokenizerConfig, join(dir, 'tokenizer.json'));
    let template: string | undefined;
    let source: ChatTemplateSource | undefined;
    if (files.chatTemplateFile?.name === 'chat_template.jinja') [template, source] = [files.chatTemplateFile.text, 'chat_template.jinja'];
    else if (files.chatTemplateFile?.name === 'chat_template.json') {
      const parsed = parseJson(files.chatTemplateFile.text, join(dir, 'chat_template.json'));
      if (typeof parsed.chat_template === 'string') [template, source] = [parsed.chat_template, 'chat_template.json'];
    }
    if (template === undefined) {
      const fromConfig = this.config.chat_template;
      const chosen = typeof fromConfig === 'string' ? fromConfig : Array.isArray(fromConfig) ? (fromConfig as Array<{ name: string; template: string }>).find((t) => t.name === 'default')?.template : undefined;
      if (chosen !== undefined) [template, source] = [chosen, 'tokenizer_config.json'];
    }
    this.chatTemplate = template;
    this.chatTemplateSource = source;
    try {
      this.template = template === undefined ? undefined : new Template(template);
    } catch (error) {
      throw new CheckpointError(join(dir, source as string), `the chat template does not parse (${(error as Error).message})`);
    }
    const vocab = this.tokenizer.get_vocab(true);
    let maxId = -1;
    for (const id of vocab.values()) if (id > maxId) maxId = id;
    this.size = maxId + 1;
  }

  /**
   * Reads `tokenizer.json` (required), `tokenizer_config.json` and a chat template file from a
   * checkpoint folder. With `vocabSize` (the model's embedding rows), a tokenizer that can produce a
   * larger id is refused: that id would index past the embedding table. With `maxPositions`, texts
   * longer than {@link CHARACTERS_PER_POSITION} characters per position are refused before they are
   * tokenized (tokenizing costs more than linear time in the length of a word).
   */
  static async fromDir(dir: string, options: { vocabSize?: number; maxPositions?: number } = {}): Promise<HfTokenizer> {
    const read = (name: string) => readFile(join(dir, name), 'utf8');
    if (!existsSync(join(dir, 'tokenizer.json'))) throw new CheckpointError(dir, 'has no tokenizer.json (the fast-tokenizer file; save the tokenizer with transformers to get one)');
    const files: HfTokenizerFiles = { tokenizer: await read('tokenizer.json') };
    if (existsSync(join(dir, 'tokenizer_config.json'))) files.tokenizerConfig = await read('tokenizer_config.json');
    for (const name of ['chat_template.jinja', 'chat_template.json'] as const) {
      if (existsSync(join(dir, name))) {
        files.chatTemplateFile = { name, text: await read(name) };
        break;
      }
    }
    const tokenizer = new HfTokenizer(files, dir);
    if (options.maxPositions !== undefined) tokenizer.maxCharacters = CHARACTERS_PER_POSITION * options.maxPositions;
    if (options.vocabSize !== undefined && tokenizer.size > options.vocabSize) {
      throw new CheckpointError(join(dir, 'tokenizer.json'), `has token ids up to ${tokenizer.size - 1}, beyond the model's vocabulary of ${options.vocabSize} (config.json vocab_size): it is not the tokenizer of these weights`);
    }
    return tokenizer;
  }

  /** A tokenizer from file contents (for tests and generated checkpoints); `dir` only names them in errors. */
  static fromFiles(files: HfTokenizerFiles, dir = '(in memory)'): HfTokenizer {
    return new HfTokenizer(files, dir);
  }

  /** Token ids of a text; special tokens written in the text become their ids, nothing is added. */
  encode(text: string): number[] {
    if (this.maxCharacters !== undefined && text.length > this.maxCharacters) {
      throw new TextTooLongError(`a text of ${text.length.toLocaleString('en-US')} characters is longer than this model can read: at most ${this.maxCharacters.toLocaleString('en-US')} (${CHARACTERS_PER_POSITION} per position of max_position_embeddings)`);
    }
    return this.sandbox ? this.sandbox.encode(text) : this.tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  /** Text of token ids, special tokens (end of turn, padding) left out. */
  decode(ids: readonly number[]): string {
    if (ids.length === 0) return '';
    return this.sandbox ? this.sandbox.decode(ids) : this.tokenizer.decode([...ids], { skip_special_tokens: true });
  }

  /** The id of a token (a special token's text, or a vocabulary entry). */
  tokenId(token: string): number | undefined {
    return this.tokenizer.token_to_id(token);
  }

  /** A special token named in `tokenizer_config.json` (`eos_token`, …), as text. */
  specialToken(name: SpecialTokenName): string | undefined {
    return tokenText(this.config[name]);
  }

  /**
   * The prompt text of a conversation through the checkpoint's chat template. Images are passed to
   * the template as `{type: 'image'}` parts, which the template turns into its image placeholder.
   *
   * @example
   * tokenizer.renderChat([{ role: 'user', content: [{ type: 'image', image: 'q.png' }, { type: 'text', text: 'Any defect?' }] }], { addGenerationPrompt: true });
   */
  renderChat(messages: readonly ChatMessage[] | readonly TemplateMessage[], options: { addGenerationPrompt?: boolean; textOnly?: boolean } = {}): string {
    if (!this.template) throw new CheckpointError(this.dir, 'has no chat template (chat_template.jinja, chat_template.json or tokenizer_config.json chat_template)');
    const converted: TemplateMessage[] = (messages as ReadonlyArray<ChatMessage | TemplateMessage>).map((m, i) => {
      if (typeof m.content === 'string') return { role: m.role, content: m.content };
      const parts = m.content.map((part) => (part.type === 'text' ? { type: 'text' as const, text: part.text } : { type: 'image' as const }));
      if (!options.textOnly) return { role: m.role, content: parts };
      if (parts.some((p) => p.type === 'image')) throw new RangeError(`message ${i} has an image, but this model reads text only`);
      return { role: m.role, content: parts.map((p) => (p as { text: string }).text).join('') };
    });
    const specials = Object.fromEntries((['bos_token', 'eos_token', 'pad_token', 'unk_token'] as const).map((name) => [name, this.specialToken(name) ?? '']));
    try {
      return renderTemplateWithLimits(this.template, {
        ...specials,
        messages: converted,
        add_generation_prompt: options.addGenerationPrompt ?? true,
      });
    } catch (error) {
      throw new CheckpointError(join(this.dir, this.chatTemplateSource as string), `the chat template failed to render (${(error as Error).message})`);
    }
  }

  /** Writes the files this tokenizer was read from into `dir`, unchanged. */
  async save(dir: string): Promise<void> {
    const files: Array<[string, string]> = [['tokenizer.json', this.files.tokenizer]];
    if (this.files.tokenizerConfig !== undefined) files.push(['tokenizer_config.json', this.files.tokenizerConfig]);
    if (this.files.chatTemplateFile) files.push([this.files.chatTemplateFile.name, this.files.chatTemplateFile.text]);
    for (const [name, text] of files) {
      await writeFile(join(dir, `${name}.tmp`), text);
      await rename(join(dir, `${name}.tmp`), join(dir, name));
    }
  }
}
