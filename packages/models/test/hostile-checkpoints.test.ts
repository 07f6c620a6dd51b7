import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { imageDataUrl } from '../src/openai/index';
import { ALLOW_NON_FINITE_ENV, CheckpointWeights, SafetensorsFile, loadModel, sharpImageLoader, tf } from '../src/tfjs/index';
import { tinyQwen2, tinyQwen2Vl } from './fixtures/tiny-checkpoints';

// Issue #39, item 5 (and the FIFO of item 8): safetensors headers are checked as the reference
// implementation checks them, and weights that are not finite numbers are refused at load.

const temp = (name: string) => join(mkdtempSync(join(tmpdir(), 'iad-r1-hostile-')), name);

function handMade(header: unknown, data: number[]): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length), 0);
  return Buffer.concat([prefix, json, Buffer.from(data)]);
}

const f32Bytes = (values: number[]) => [...new Uint8Array(new Float32Array(values).buffer)];

async function openError(header: unknown, data: number[]): Promise<string> {
  const path = temp('w.safetensors');
  writeFileSync(path, handMade(header, data));
  const started = performance.now();
  const error = await SafetensorsFile.open(path).then(
    async (file) => {
      await file.close();
      return undefined;
    },
    (e: Error) => e,
  );
  expect(performance.now() - started).toBeLessThan(2000);
  expect(error, JSON.stringify(header)).toBeInstanceOf(Error);
  expect((error as Error).name).toBe('CheckpointError');
  return (error as Error).message.slice(path.length + 2);
}

describe('safetensors header checks', () => {
  const eight = [...f32Bytes([1, 2])];
  it('refuses overlapping, negative, fractional and gapped data_offsets', async () => {
    expect(await openError({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, eight)).toBe(
      'tensor b: data_offsets overlap the tensor before it (it starts at 4, the one before ends at 8)',
    );
    // A negative offset would read header bytes as weights.
    expect(await openError({ a: { dtype: 'F32', shape: [2], data_offsets: [-8, 0] } }, eight)).toBe('tensor a: data_offsets [-8,0] are not two whole numbers ≥ 0');
    expect(await openError({ a: { dtype: 'F32', shape: [1], data_offsets: [0.5, 4.5] } }, eight)).toBe('tensor a: data_offsets [0.5,4.5] are not two whole numbers ≥ 0');
    expect(await openError({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, eight)).toBe('tensor a: data_offsets leave a gap of 4 bytes before it');
    // Bytes after the last tensor: the reference refuses an incomplete cover of the buffer too.
    expect(await openError({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, eight)).toMatch(/^the tensors end at byte \d+, but the file has \d+ bytes$/);
    expect(await openError({ a: { dtype: 'F32', shape: [2], data_offsets: [8, 0] } }, eight)).toBe('tensor a: data_offsets [8, 0] end before they begin');
  });

  it('refuses null entries, bad shapes, unknown dtypes and a header that is not an object', async () => {
    expect(await openError({ a: null }, eight)).toBe('tensor a: the header entry is not an object with dtype, shape and data_offsets');
    expect(await openError({ a: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, eight)).toBe('tensor a: shape [-2] is not a list of whole numbers ≥ 0');
    expect(await openError({ a: { dtype: 'F32', shape: ['2'], data_offsets: [0, 8] } }, eight)).toBe('tensor a: shape ["2"] is not a list of whole numbers ≥ 0');
    expect(await openError({ a: { dtype: 'Q4', shape: [2], data_offsets: [0, 8] } }, eight)).toBe('tensor a: unknown dtype "Q4"');
    expect(await openError([1, 2], eight)).toBe('the header is not a JSON object');
    expect(await openError({ __metadata__: { format: 1 }, a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, eight)).toBe('__metadata__ must be an object of strings');
  });

  it('still opens a well-formed file, tensors in any header order', async () => {
    const path = temp('ok.safetensors');
    writeFileSync(path, handMade({ b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] }, __metadata__: { format: 'pt' }, a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, eight));
    const file = await SafetensorsFile.open(path);
    expect([...(await file.readFloat32('a')), ...(await file.readFloat32('b'))]).toEqual([1, 2]);
    await file.close();
  });

  it('refuses shards named outside the folder by the index', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iad-r1-hostile-index-'));
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { a: '../elsewhere/model.safetensors' } }));
    await expect(CheckpointWeights.open(dir)).rejects.toThrow(/weight_map names "..\/elsewhere\/model.safetensors"; shards must be .safetensors files in the same folder/);
  });

  it('refuses NaN and ±Infinity at load unless allowed, naming the tensor and the element', async () => {
    for (const [value, shown] of [[Number.NaN, 'NaN'], [Number.POSITIVE_INFINITY, 'Infinity'], [Number.NEGATIVE_INFINITY, '-Infinity']] as const) {
      const path = temp('nan.safetensors');
      writeFileSync(path, handMade({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 12] } }, f32Bytes([1, value, 3])));
      const file = await SafetensorsFile.open(path);
      await expect(file.readFloat32('w')).rejects.toThrow(`${path}: tensor w: holds a non-finite value (${shown}) at element 1: the weights are corrupt or overflowed float32; set ${ALLOW_NON_FINITE_ENV}=1 (--allow-non-finite) to load them anyway`);
      process.env[ALLOW_NON_FINITE_ENV] = '1';
      try {
        expect((await file.readFloat32('w'))[2]).toBe(3);
      } finally {
        delete process.env[ALLOW_NON_FINITE_ENV];
      }
      await file.close();
    }
    // A float64 value beyond float32's range becomes Infinity when widened to float32: refused too.
    const path = temp('f64.safetensors');
    writeFileSync(path, handMade({ w: { dtype: 'F64', shape: [1], data_offsets: [0, 8] } }, [...new Uint8Array(new Float64Array([1e300]).buffer)]));
    const file = await SafetensorsFile.open(path);
    await expect(file.readFloat32('w')).rejects.toThrow(/holds a non-finite value \(Infinity\) at element 0/);
    await file.close();
  });

  it('refuses a FIFO as a weights file at once instead of blocking on it', async () => {
    const path = temp('model.safetensors');
    execFileSync('mkfifo', [path]);
    const started = performance.now();
    await expect(SafetensorsFile.open(path)).rejects.toThrow(`${path}: is not a regular file (a FIFO)`);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

// Item 2: sizes a config may declare are bounded in the schemas, so a hostile config.json is refused
// while it is parsed — before weight lists, memory estimates or images are built from it.
describe('config sizes are bounded before anything is built', () => {
  const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
  let qwen2Dir = '';
  let qwen2VlDir = '';
  beforeAll(async () => {
    await tf.setBackend('cpu');
    qwen2Dir = join(mkdtempSync(join(tmpdir(), 'iad-r1-hostile-config-')), 'qwen2');
    const model = tinyQwen2({}, 5);
    await model.save(qwen2Dir);
    model.dispose();
    qwen2VlDir = join(mkdtempSync(join(tmpdir(), 'iad-r1-hostile-config-')), 'qwen2-vl');
    const vl = tinyQwen2Vl('qwen2_vl', {}, 5);
    await vl.save(qwen2VlDir);
    vl.dispose();
  });

  /** A copy of a checkpoint folder with one JSON file edited. */
  function edited(from: string, file: string, edit: (json: Record<string, unknown>) => void): string {
    const dir = join(mkdtempSync(join(tmpdir(), 'iad-r1-hostile-edit-')), 'model');
    cpSync(from, dir, { recursive: true });
    const path = join(dir, file);
    const json = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    edit(json);
    writeFileSync(path, JSON.stringify(json));
    return dir;
  }

  async function refusal(dir: string): Promise<{ message: string; name: string; ms: number; heapGrowth: number }> {
    const heap = process.memoryUsage().heapUsed;
    const started = performance.now();
    const error = (await loadModel(dir).then(
      (m) => {
        m.dispose();
        return undefined;
      },
      (e: Error) => e,
    )) as Error | undefined;
    expect(error, dir).toBeInstanceOf(Error);
    return { message: (error as Error).message, name: (error as Error).name, ms: performance.now() - started, heapGrowth: process.memoryUsage().heapUsed - heap };
  }

  it('refuses 1e6 and 1e9 decoder layers, a vision depth of 1e9 and min_pixels of 1e14 by field, within 2 s and without allocating', async () => {
    const cases: Array<[string, string, RegExp]> = [
      [edited(qwen2Dir, 'config.json', (c) => (c.num_hidden_layers = 1e6)), 'num_hidden_layers', /field num_hidden_layers: a layer count above 1,024 is not a real model's/],
      [edited(qwen2Dir, 'config.json', (c) => (c.num_hidden_layers = 1e9)), 'num_hidden_layers', /field num_hidden_layers: a layer count above 1,024/],
      [edited(qwen2Dir, 'config.json', (c) => (c.vocab_size = 1e12)), 'vocab_size', /field vocab_size: a vocabulary above 8,388,608/],
      [edited(qwen2VlDir, 'config.json', (c) => ((c.vision_config as Record<string, unknown>).depth = 1e9)), 'vision_config.depth', /field vision_config.depth: a layer count above 1,024/],
      [edited(qwen2VlDir, 'preprocessor_config.json', (c) => (c.min_pixels = 1e14)), 'min_pixels', /preprocessor_config.json: field min_pixels: a lower pixel bound \(every image is enlarged to it\) above 16,777,216/],
    ];
    for (const [dir, field, message] of cases) {
      const r = await refusal(dir);
      expect(r.name, field).toBe('ConfigFieldError');
      expect(r.message, field).toMatch(message);
      expect(r.ms, field).toBeLessThan(2000);
      expect(r.heapGrowth, field).toBeLessThan(200 * 1024 * 1024);
    }
  });

  it('refuses a tokenizer that can produce ids past the embedding table, before loading weights', async () => {
    // The tiny byte-level tokenizer has ids 0–262; 200 embedding rows cannot embed the last 63.
    const r = await refusal(edited(qwen2Dir, 'config.json', (c) => (c.vocab_size = 200)));
    expect(r.message).toMatch(/tokenizer.json: has token ids up to 262, beyond the model's vocabulary of 200 \(config.json vocab_size\)/);
  });

  it('prints each refusal as one line from the CLI (exit 1, no stack), and loads NaN weights only when allowed', async () => {
    const deep = edited(qwen2Dir, 'config.json', (c) => (c.num_hidden_layers = 1e9));
    const inspect = spawnSync('node', [cli, 'inspect', deep], { encoding: 'utf8' });
    expect(inspect.status).toBe(1);
    expect(inspect.stderr.trim().split('\n')).toHaveLength(1);
    expect(inspect.stderr).toMatch(/^iad-r1-models: .*config.json: field num_hidden_layers: a layer count above 1,024/);

    // One weight set to NaN in place: the tensor's first element.
    const nan = edited(qwen2Dir, 'config.json', () => undefined);
    const weightsFile = join(nan, 'model.safetensors');
    const file = await SafetensorsFile.open(weightsFile);
    const entry = file.entries.get('model.norm.weight') as { begin: number };
    await file.close();
    const bytes = readFileSync(weightsFile);
    bytes.writeFloatLE(Number.NaN, entry.begin);
    writeFileSync(weightsFile, bytes);
    const request = join(nan, 'request.json');
    writeFileSync(request, JSON.stringify({ messages: [{ role: 'user', content: 'Any defect?' }] }));
    const refused = spawnSync('node', [cli, 'logits', '--model', nan, '--request', request, '--backend', 'cpu'], { encoding: 'utf8' });
    expect(refused.status).toBe(1);
    expect(refused.stderr.trim().split('\n').filter((l) => l.startsWith('iad-r1-models:'))).toEqual([`iad-r1-models: ${weightsFile}: tensor model.norm.weight: holds a non-finite value (NaN) at element 0: the weights are corrupt or overflowed float32; set ${ALLOW_NON_FINITE_ENV}=1 (--allow-non-finite) to load them anyway`]);
    expect(refused.stderr).not.toMatch(/\n\s+at /);
    const allowed = spawnSync('node', [cli, 'logits', '--allow-non-finite', '--model', nan, '--request', request, '--backend', 'cpu'], { encoding: 'utf8' });
    expect(allowed.status).toBe(0);
    expect(JSON.parse(allowed.stdout).logits[0][0]).toBeNull();
  });
});

describe('images that are not regular files (item 8)', () => {
  it('are refused at once by the in-process loader and the OpenAI client, not read forever', async () => {
    const fifo = temp('query.png');
    execFileSync('mkfifo', [fifo]);
    const started = performance.now();
    await expect(sharpImageLoader(fifo, 32)).rejects.toThrow(`${fifo}: not a regular file (a FIFO, device or socket)`);
    await expect(imageDataUrl(fifo)).rejects.toThrow(`cannot read image ${fifo}: not a regular file`);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});

