import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { readSafetensors, tf } from '../src/tfjs/index';
import { tinyQwen2 } from './fixtures/tiny-checkpoints';
import { referenceLogits } from './reference/qwen2-reference';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'iad-r1-models-cli-'));
const checkpoint = join(dir, 'tiny-qwen2');
const bf16 = join(dir, 'tiny-qwen2-bf16');
const request = join(dir, 'request.json');
let parameters = 0;

beforeAll(async () => {
  await tf.setBackend('cpu');
  const model = tinyQwen2({}, 31);
  parameters = model.parameterCount();
  await model.save(checkpoint);
  model.dispose();
  const half = tinyQwen2({ torch_dtype: 'bfloat16' }, 31);
  await half.save(bf16);
  half.dispose();
  writeFileSync(request, JSON.stringify({ messages: [{ role: 'user', content: 'Any defect?' }, { role: 'assistant', content: '<answer>No</answer>' }] }));
});

describe('iad-r1-models', () => {
  it('inspect: architecture, parameters, dtypes and memory estimates, from headers only', async () => {
    const { stdout } = await run('node', [cli, 'inspect', bf16, '--json', '--sequence-length', '256', '--lora-rank', '8']);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ architecture: 'qwen2', parameters, layers: 2, hiddenSize: 32, heads: 4, kvHeads: 2, headDim: 8, vocabSize: 264, weightFiles: 1, dtypes: { BF16: parameters } });
    // bf16 on disk: 2 bytes a parameter (plus nothing else in the file's data).
    expect(report.storedBytes).toBe(2 * parameters);
    const e = report.estimate;
    expect(e.weights).toBe(4 * parameters);
    expect(e.fullFineTuning).toBe(16 * parameters + e.activations);
    // LoRA r = 8 on the 7 linear layers of each of the 2 layers: r·(in + out) each.
    const perLayer = 8 * ((32 + 32) + (32 + 16) + (32 + 16) + (32 + 32) + (32 + 48) + (32 + 48) + (48 + 32));
    expect(e.loraParameters).toBe(2 * perLayer);
    expect(e.lora).toBe(4 * parameters + 16 * e.loraParameters + e.activations);
    // KV cache: 256 tokens · 2 layers · (keys + values) · 2 heads · 8 · 4 bytes.
    expect(e.kvCache).toBe(256 * 2 * 2 * 2 * 8 * 4);
    const table = (await run('node', [cli, 'inspect', checkpoint])).stdout;
    expect(table).toMatch(/qwen2 — Qwen2/);
    expect(table).toMatch(/full AdamW/);
  });

  it('logits: the input ids and, at every position, the logits of the plain-loop reference', async () => {
    const { stdout } = await run('node', [cli, 'logits', '--model', checkpoint, '--request', request, '--positions', 'all', '--backend', 'cpu']);
    const { inputIds, logits } = JSON.parse(stdout) as { inputIds: number[]; logits: number[][] };
    expect(logits).toHaveLength(inputIds.length);
    // The chat template's prompt, then the assistant's text: it ends with the bytes of "</answer>".
    expect(String.fromCharCode(...inputIds.slice(-9))).toBe('</answer>');
    const { tensors } = await readSafetensors(join(checkpoint, 'model.safetensors'));
    const expected = referenceLogits(tensors, { hidden: 32, intermediate: 48, layers: 2, heads: 4, kvHeads: 2, vocab: 264, eps: 1e-6, theta: 10000, tied: false }, inputIds);
    let worst = 0;
    expected.forEach((row, t) => {
      const scale = Math.max(...row.map(Math.abs));
      row.forEach((v, i) => (worst = Math.max(worst, Math.abs(((logits[t] as number[])[i] as number) - v) / scale)));
    });
    expect(worst).toBeLessThan(1e-4);
    const last = JSON.parse((await run('node', [cli, 'logits', '--model', checkpoint, '--request', request, '--positions', '2'])).stdout);
    expect(last.logits).toHaveLength(2);
  });

  it('generate: greedy completions with token ids and log-probabilities', async () => {
    const prompt = join(dir, 'prompt.json');
    writeFileSync(prompt, JSON.stringify({ messages: [{ role: 'user', content: 'Any defect?' }] }));
    const { stdout } = await run('node', [cli, 'generate', '--model', checkpoint, '--request', prompt, '--max-new-tokens', '6', '--n', '2']);
    const result = JSON.parse(stdout);
    expect(result.completions).toHaveLength(2);
    expect(result.completions[0].tokenIds).toEqual(result.completions[1].tokenIds);
    expect(result.completions[0].logProbs).toHaveLength(result.completions[0].tokenIds.length);
  });

  it('refuses, before loading, a model over --max-memory, naming the estimate and the limit', async () => {
    const error = await run('node', [cli, 'generate', '--model', checkpoint, '--request', request, '--max-memory', '0.000001']).catch((e: { code: number; stderr: string }) => e);
    expect((error as { code: number }).code).toBe(1);
    expect((error as { stderr: string }).stderr).toMatch(/tiny-qwen2: the model needs about [\d.]+ MiB in float32 for inference at 2,048 tokens \(weights and KV cache\), more than the 1\.0 KiB allowed; raise the limit/);
    const zero = await run('node', [cli, 'logits', '--model', checkpoint, '--request', request, '--max-memory', '0']).catch((e: { code: number; stderr: string }) => e);
    expect((zero as { stderr: string }).stderr).toMatch(/option '--max-memory <GB>' argument '0' is invalid\. must be a positive number/);
  });

  it('names the file and field of a bad request, and the folder of an unsupported model', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ messages: [{ role: 'robot', content: 'hi' }] }));
    const error = await run('node', [cli, 'generate', '--model', checkpoint, '--request', bad]).catch((e: { code: number; stderr: string }) => e);
    expect((error as { code: number }).code).toBe(1);
    expect((error as { stderr: string }).stderr).toMatch(/bad\.json: field messages\.0\.role: /);
    const empty = mkdtempSync(join(tmpdir(), 'iad-r1-not-a-model-'));
    writeFileSync(join(empty, 'config.json'), JSON.stringify({ model_type: 'gpt2' }));
    const unsupported = await run('node', [cli, 'inspect', empty]).catch((e: { code: number; stderr: string }) => e);
    expect((unsupported as { stderr: string }).stderr).toMatch(/model_type "gpt2" is not supported; supported: iad-r1-tiny-vlm, qwen2/);
  });
});
