import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { generateSyntheticSet } from '@iad-r1/datasets';
import { describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const run = promisify(execFile);

describe('iad-r1-sft train', () => {
  it('trains from expert-ad.jsonl, checkpoints, and resumes on a second run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iad-r1-sft-cli-'));
    await generateSyntheticSet({ out: join(dir, 'syn'), seed: 1, size: 32, perCategory: 1 });
    const args = (steps: string) => [cli, 'train', '--data', join(dir, 'syn', 'expert-ad.jsonl'), '--out', join(dir, 'run'), '--max-steps', steps, '--batch-size', '4', '--vocab-size', '200', '--checkpoint-every', '1', '--balance-answers', '--group-by-images', '--backend', 'wasm'];
    const first = await run('node', args('2'));
    expect(JSON.parse(first.stdout)).toMatchObject({ steps: 2, resumedFrom: 0 });
    expect(first.stderr).toContain('iad-r1: TensorFlow.js backend wasm (requested)');
    const second = await run('node', args('3'));
    expect(JSON.parse(second.stdout)).toMatchObject({ steps: 3, resumedFrom: 2 });
    expect(second.stderr).toMatch(/resuming from .*step-000002 at step 2/);
    const steps = readFileSync(join(dir, 'run', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).step);
    expect(steps).toEqual([1, 2, 3]);
    // Another type level makes other records: a resume onto them is refused by name, not retrained.
    const clash = await run('node', [...args('4'), '--type-level', 'fine']).catch((error: { code: number; stderr: string }) => error);
    expect(clash).toMatchObject({ code: 1 });
    expect((clash as { stderr: string }).stderr).toMatch(/trainer\.json: this run was made with data = "[0-9a-f]{12}", not "[0-9a-f]{12}"/);
    const otherRate = await run('node', [...args('4'), '--lr', '1e-3']).catch((error: { code: number; stderr: string }) => error);
    expect((otherRate as { stderr: string }).stderr).toMatch(/this run was made with learningRate = 0\.003, not 0\.001/);
  });

  it('starts from a saved model with --init, trains LoRA adapters with --lora-rank, and exports them merged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iad-r1-sft-cli-'));
    await generateSyntheticSet({ out: join(dir, 'syn'), seed: 2, size: 32, perCategory: 1 });
    const data = join(dir, 'syn', 'expert-ad.jsonl');
    const base = await run('node', [cli, 'train', '--data', data, '--out', join(dir, 'base'), '--max-steps', '1', '--batch-size', '4', '--vocab-size', '200', '--backend', 'wasm']);
    const init = JSON.parse(base.stdout).checkpoint as string;
    const lora = await run('node', [cli, 'train', '--data', data, '--init', init, '--out', join(dir, 'lora'), '--max-steps', '2', '--batch-size', '4', '--lora-rank', '2', '--lora-targets', 'qkv,proj', '--export', join(dir, 'exported'), '--merge-lora', '--backend', 'wasm', '--workers', '2']);
    expect(JSON.parse(lora.stdout)).toMatchObject({ steps: 2, exported: join(dir, 'exported') });
    expect(lora.stderr).toMatch(/data-parallel: 2 threads \(this one and 1 worker on wasm\)/);
    // The checkpoint holds the TinyVLM and its adapters; the export, merged, has no adapter files.
    const checkpoint = JSON.parse(lora.stdout).checkpoint as string;
    expect(readdirSync(checkpoint)).toEqual(expect.arrayContaining(['adapter_config.json', 'adapter_model.safetensors', 'model.safetensors']));
    expect(JSON.parse(readFileSync(join(checkpoint, 'adapter_config.json'), 'utf8'))).toMatchObject({ r: 2, target_modules: ['qkv', 'proj'] });
    expect(readdirSync(join(dir, 'exported')).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer.json']);
    const bad = await run('node', [cli, 'train', '--data', data, '--init', init, '--out', join(dir, 'bad'), '--max-steps', '1', '--lora-rank', '2', '--lora-targets', 'c_attn']).catch((e: { code: number; stderr: string }) => e);
    expect((bad as { code: number }).code).toBe(1);
    expect((bad as { stderr: string }).stderr).toMatch(/no linear layer matches LoRA target modules \["c_attn"\]; the model's linear layers end in: patch, qkv, proj, fc, out, fc1, fc2/);
  });

  it('sizes a new model for 1-shot examples instead of failing on the default maxSequence', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iad-r1-sft-cli-'));
    await generateSyntheticSet({ out: join(dir, 'syn'), seed: 3, size: 32, perCategory: 1 });
    const args = [cli, 'train', '--data', join(dir, 'syn', 'expert-ad.jsonl'), '--out', join(dir, 'run'), '--max-steps', '1', '--batch-size', '2', '--vocab-size', '200', '--shots', '1', '--backend', 'wasm'];
    const { stdout, stderr } = await run('node', args);
    expect(JSON.parse(stdout)).toMatchObject({ steps: 1 });
    const [, size, longest] = /maxSequence (\d+) for the new TinyVLM \(the longest example has (\d+) tokens\)/.exec(stderr) ?? [];
    expect(Number(longest)).toBeGreaterThan(256);
    expect(Number(size)).toBeGreaterThanOrEqual(Number(longest) + 64);
    // An explicit size is kept, and one too small says what to set.
    const small = await run('node', [...args.map((a) => (a === join(dir, 'run') ? join(dir, 'small') : a)), '--max-sequence', '64']).catch((e: { code: number; stderr: string }) => e);
    expect(small).toMatchObject({ code: 1 });
    expect((small as { stderr: string }).stderr).toMatch(/exceeds maxSequence 64; train a model made with a larger maxSequence \(iad-r1-sft: --max-sequence\)/);
  });

  it('names the file, record and field of bad input', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iad-r1-sft-cli-'));
    const file = join(dir, 'bad.jsonl');
    (await import('node:fs')).writeFileSync(file, '{"id":"x","queryImage":"q.png","label":"maybe","source":{"dataset":"d","category":"c"}}\n');
    const error = await run('node', [cli, 'train', '--data', file, '--out', join(dir, 'run')]).catch((e: { code: number; stderr: string }) => e);
    expect((error as { code: number }).code).toBe(1);
    expect((error as { stderr: string }).stderr).toMatch(/bad\.jsonl: 1 invalid record\(s\)\n\s+record 0 \(line 1\), field label/);
    // A think that smuggles in tags (as a careless review edit could) is named by record and field, not a stack trace.
    const record = (id: string, think: string) => JSON.stringify({ id, queryImage: 'q.png', label: 'normal', think, source: { dataset: 'd', category: 'c' } });
    (await import('node:fs')).writeFileSync(file, `${record('fine', 'Every region matches the reference closely.')}\n${record('sneaky', 'Looks fine.</think><answer>No</answer><think>')}\n`);
    const tags = await run('node', [cli, 'train', '--data', file, '--out', join(dir, 'run2')]).catch((e: { code: number; stderr: string }) => e);
    expect(tags).toMatchObject({ code: 1 });
    expect((tags as { stderr: string }).stderr).toMatch(/^iad-r1-sft: .*bad\.jsonl: 1 invalid record\(s\)\n\s+record 1 \(line 2\), field think: must not contain <think>, <location>, <type> or <answer> tags/m);
    expect((tags as { stderr: string }).stderr).not.toMatch(/OutputParseError|\n\s+at /);
    // A record without a think cannot become a CoT target: the file, record and field are named.
    const thinkless = JSON.stringify({ id: 'n1', queryImage: 'q.png', label: 'normal', source: { dataset: 'd', category: 'c' } });
    (await import('node:fs')).writeFileSync(file, `${record('fine', 'Every region matches the reference closely.')}\n${thinkless}\n`);
    const noThink = await run('node', [cli, 'train', '--data', file, '--out', join(dir, 'run3')]).catch((e: { code: number; stderr: string }) => e);
    expect(noThink).toMatchObject({ code: 1 });
    expect((noThink as { stderr: string }).stderr).toMatch(/^iad-r1-sft: .*bad\.jsonl: 1 invalid record\(s\)\n\s+record 1, field think: record "n1", field think: a CoT target needs the think text/m);
  });
});
