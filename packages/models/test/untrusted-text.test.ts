import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { HfTokenizer, KNOWN_TOKENIZER_PATTERNS, applyLora, byteLevelTokenizerFiles, loadModel, tf } from '../src/tfjs/index';
import { qwenTokenizerFiles, tinyQwen2 } from './fixtures/tiny-checkpoints';

// Issue #39, item 4: text from a checkpoint folder (chat templates, tokenizer regular expressions,
// target_modules) and text from a request (a huge prompt) end in a named error within 2 s, never a
// hung or crashed process.

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const user = [{ role: 'user' as const, content: 'Any defect?' }];

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function timed<T>(work: () => T): { result: T | Error; ms: number } {
  const started = performance.now();
  let result: T | Error;
  try {
    result = work();
  } catch (error) {
    result = error as Error;
  }
  return { result, ms: performance.now() - started };
}

describe('chat templates run with limits', () => {
  const withTemplate = (chatTemplate: string) => HfTokenizer.fromFiles(byteLevelTokenizerFiles({ chatTemplate }), '/models/hostile');
  const cases: Array<[string, string, RegExp]> = [
    ['a range of a billion items', '{% for i in range(1000000000) %}x{% endfor %}', /range\(\) of 1,000,000,000 items \(limit 100,000\)/],
    ['nested loops that never end in time', '{% for i in range(100000) %}{% for j in range(100000) %}{% for k in range(100000) %}{% endfor %}{% endfor %}{% endfor %}', /rendering took longer than 1000 ms/],
    ['a macro that calls itself twice per level', '{% macro f(n) %}{% if n > 0 %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(60) }}', /rendering took longer than 1000 ms/],
    ['a text doubled until it fills the heap', "{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s }}", /built a text of [\d,]+ characters \(limit 4,194,304\)/],
  ];
  for (const [name, template, message] of cases) {
    it(`refuses ${name} by file, within 2 s`, () => {
      const tokenizer = withTemplate(template);
      const { result, ms } = timed(() => tokenizer.renderChat(user));
      expect(result).toBeInstanceOf(Error);
      expect((result as Error).name).toBe('CheckpointError');
      expect((result as Error).message).toMatch(/^\/models\/hostile\/tokenizer_config.json: the chat template failed to render \(/);
      expect((result as Error).message).toMatch(message);
      expect(ms).toBeLessThan(2000);
    });
  }

  it('renders real templates as the library does, globals included', () => {
    const tokenizer = withTemplate("{{ range(3) | join(',') }}|{{ strftime_now('%Y') }}|{{ none is none }}|{% for m in messages %}{{ m.content }}{% endfor %}");
    expect(tokenizer.renderChat(user)).toBe(`0,1,2|${new Date().getFullYear()}|true|Any defect?`);
  });
});

describe('tokenizer regular expressions', () => {
  /** The byte-level tokenizer with a Split pre-tokenizer on `pattern` before its byte mapping. */
  function withSplit(pattern: string): HfTokenizer {
    const files = byteLevelTokenizerFiles();
    const json = JSON.parse(files.tokenizer) as Record<string, unknown>;
    json.pre_tokenizer = { type: 'Sequence', pretokenizers: [{ type: 'Split', pattern: { Regex: pattern }, behavior: 'Isolated', invert: false }, { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false }] };
    return HfTokenizer.fromFiles({ ...files, tokenizer: JSON.stringify(json) }, '/models/hostile');
  }

  it('stops a pattern that backtracks without end, naming the file, and refuses further calls', () => {
    const tokenizer = withSplit('(a+)+$');
    const { result, ms } = timed(() => tokenizer.encode(`${'a'.repeat(40)}!`));
    expect(result).toBeInstanceOf(Error);
    expect((result as Error).name).toBe('TokenizerLimitError');
    expect((result as Error).message).toMatch(/^\/models\/hostile\/tokenizer.json: its regular expressions did not finish within 1.0 s on a text of 41 characters/);
    expect(ms).toBeLessThan(2000);
    expect(() => tokenizer.encode('fine')).toThrow(/the tokenizer was stopped/);
  });

  it('gives the same ids through the worker as in this thread, for a fast unknown pattern', () => {
    const pattern = " ?[A-Za-z]+| ?[0-9]+|\\s+|.";
    expect(KNOWN_TOKENIZER_PATTERNS.has(pattern)).toBe(false);
    const sandboxed = withSplit(pattern);
    const text = 'the scratch is 12 mm long, near the top';
    const ids = sandboxed.encode(text);
    expect(ids.length).toBeGreaterThan(10);
    expect(sandboxed.decode(ids)).toBe(text);
  });

  it("runs Qwen's known split pattern in this thread, and refuses a million-character text unread", async () => {
    const dir = qwenTokenizerFiles();
    const qwen = await HfTokenizer.fromDir(dir, { maxPositions: 32768 });
    expect(qwen.encode('Any defect?')).toEqual([8610, 22219, 30]);
    const { result, ms } = timed(() => qwen.encode('a'.repeat(1_000_000)));
    expect((result as Error).name).toBe('TextTooLongError');
    expect((result as Error).message).toBe('a text of 1,000,000 characters is longer than this model can read: at most 262,144 (8 per position of max_position_embeddings)');
    expect(ms).toBeLessThan(2000);
  });

  it('the CLI prints a million-character prompt as one line, exit 1, within 2 s of loading', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'iad-r1-untrusted-')), 'model');
    const model = tinyQwen2({}, 2);
    await model.save(dir);
    model.dispose();
    const request = join(dir, '..', 'request.json');
    writeFileSync(request, JSON.stringify({ messages: [{ role: 'user', content: 'a'.repeat(1_000_000) }] }));
    const started = performance.now();
    const run = spawnSync('node', [cli, 'logits', '--model', dir, '--request', request, '--backend', 'cpu'], { encoding: 'utf8' });
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n').filter((l) => l.startsWith('iad-r1-models:'))).toHaveLength(1);
    expect(run.stderr).toMatch(/iad-r1-models: a text of 1,000,\d{3} characters is longer than this model can read/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('target_modules', () => {
  let base = '';
  beforeAll(async () => {
    base = join(mkdtempSync(join(tmpdir(), 'iad-r1-untrusted-')), 'base');
    const model = tinyQwen2({}, 2);
    await model.save(base);
    model.dispose();
  });

  async function adapterWith(targetModules: string): Promise<string> {
    const model = await loadModel(base);
    applyLora(model, { rank: 2, targetModules: ['q_proj', 'v_proj'] });
    const dir = join(base, '..', `adapter-${Math.random().toString(36).slice(2)}`);
    await model.save(dir);
    model.dispose();
    const file = join(dir, 'adapter_config.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), target_modules: targetModules }));
    return dir;
  }

  it('matches a pattern that would backtrack without end in linear time (RE2)', async () => {
    // JavaScript's RegExp takes 4.6 s for the first branch on a 14-character name and a minute on
    // 18 (measured on the 2-core CI machine); the module names here have 28 to 35.
    const dir = await adapterWith('(.*.*)*X|model\\.layers\\.\\d+\\.self_attn\\.(q|v)_proj');
    const started = performance.now();
    const model = await loadModel(dir);
    expect(performance.now() - started).toBeLessThan(2000);
    expect([...model.weights.lora.keys()].sort()).toEqual(['model.layers.0.self_attn.q_proj', 'model.layers.0.self_attn.v_proj', 'model.layers.1.self_attn.q_proj', 'model.layers.1.self_attn.v_proj']);
    model.dispose();
  });

  it('refuses a pattern RE2 cannot run, by file and field', async () => {
    const dir = await adapterWith('(?!mlp).*_proj');
    await expect(loadModel(dir)).rejects.toThrow(/adapter_config.json: field target_modules: target_modules "\(\?!mlp\)\.\*_proj": not a regular expression RE2 runs/);
  });
});
