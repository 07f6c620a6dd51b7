import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DEFAULT_QUESTION, assistantTarget } from '@iad-r1/cot-schema';
import { generateSyntheticSet, readSyntheticSet } from '@iad-r1/datasets';
import { BpeTokenizer, TinyVLM, selectBackend } from '@iad-r1/models/tfjs';
import { describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const run = promisify(execFile);
// The rewards package's fixture: a fifth reward in one file, loaded with --reward-module.
const brevity = fileURLToPath(new URL('../../rewards/test/fixtures/brevity-reward.mjs', import.meta.url));

describe('iad-r1-grpo train', () => {
  it('trains a saved model on Expert-AD records with LoRA, logs metrics, resumes, and exports the adapter', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iad-r1-grpo-cli-'));
    await generateSyntheticSet({ out: join(dir, 'syn'), seed: 3, size: 32, perCategory: 1 });
    const set = await readSyntheticSet(join(dir, 'syn'));
    await selectBackend({ prefer: 'cpu', log: () => undefined });
    const tokenizer = BpeTokenizer.train([...set.expertAd.map((r) => assistantTarget(r)), DEFAULT_QUESTION], { vocabSize: 160 });
    const model = TinyVLM.create({ width: 32, mlp: 64, visionWidth: 16, maxSequence: 96 }, tokenizer, { seed: 1 });
    await model.save(join(dir, 'policy'));
    model.dispose();
    const args = (steps: string) => [cli, 'train', '--model', join(dir, 'policy'), '--data', join(dir, 'syn', 'expert-ad.jsonl'), '--out', join(dir, 'run'), '--steps', steps, '--group-size', '2', '--prompts-per-step', '2', '--max-new-tokens', '8', '--lr', '1e-3', '--lora-rank', '2', '--checkpoint-every', '1', '--export', join(dir, 'adapter'), '--backend', 'wasm', '--reward-module', brevity];
    const first = await run('node', args('2'));
    const result = JSON.parse(first.stdout);
    expect(result).toMatchObject({ steps: 2, resumedFrom: 0, exported: join(dir, 'adapter') });
    expect(Object.keys(result.components)).toEqual(['consistency', 'answer', 'location', 'type', 'brevity']);
    expect(first.stderr).toContain('iad-r1-grpo: rewards (paper): consistency ×1, answer ×1, location ×1 if answer, type ×1 if answer, brevity ×0.5');
    expect(first.stderr).toContain('iad-r1: TensorFlow.js backend wasm (requested)');
    expect(readFileSync(join(dir, 'run', 'metrics.jsonl'), 'utf8').trim().split('\n')).toHaveLength(2);
    expect(readdirSync(join(dir, 'adapter')).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors', 'config.json', 'model.safetensors', 'tokenizer.json']);
    // A resume may use another number of threads: they share the work, not the run's settings.
    const second = await run('node', [...args('3'), '--workers', '2']);
    expect(JSON.parse(second.stdout)).toMatchObject({ steps: 3, resumedFrom: 2 });
    expect(second.stderr).toMatch(/data-parallel: 2 threads \(this one and 1 worker on wasm\)/);
    expect(second.stderr).toMatch(/resuming from .*step-000002 at step 2/);
  });

  it('names the file, record and field of bad input, and a model folder it cannot open', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iad-r1-grpo-cli-'));
    const data = join(dir, 'sc-grpo.json');
    writeFileSync(data, JSON.stringify([{ id: 1, image: 'q.png', problem: 'Are there any defects?', solution: 42 }]));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'bert' }));
    const badData = await run('node', [cli, 'train', '--model', dir, '--data', data, '--out', join(dir, 'run'), '--steps', '1']).catch((e: { code: number; stderr: string }) => e);
    expect((badData as { code: number }).code).toBe(1);
    expect((badData as { stderr: string }).stderr).toMatch(/sc-grpo\.json: 1 invalid record\(s\)\n\s+record 0.*field solution/);
    writeFileSync(data, JSON.stringify([{ id: 1, image: 'q.png', problem: 'Are there any defects?', solution: '<answer>No</answer>' }]));
    const unsupported = await run('node', [cli, 'train', '--model', dir, '--data', data, '--out', join(dir, 'run'), '--steps', '1']).catch((e: { code: number; stderr: string }) => e);
    expect((unsupported as { code: number }).code).toBe(1);
    expect((unsupported as { stderr: string }).stderr).toContain(`${dir}: model_type "bert" is not supported; supported: iad-r1-tiny-vlm, qwen2`);
    const mergeAlone = await run('node', [cli, 'train', '--model', dir, '--data', data, '--out', join(dir, 'run'), '--steps', '1', '--lora-rank', '2', '--merge-lora']).catch((e: { code: number; stderr: string }) => e);
    // A usage error (two options that go together): exit 2.
    expect((mergeAlone as { code: number }).code).toBe(2);
    expect((mergeAlone as { stderr: string }).stderr).toContain('iad-r1-grpo: --merge-lora needs --export DIR');
    // Reward options are checked before the model folder is opened.
    const typo = await run('node', [cli, 'train', '--model', dir, '--data', data, '--out', join(dir, 'run'), '--steps', '1', '--weights', '{"tpye":0}']).catch((e: { code: number; stderr: string }) => e);
    expect((typo as { stderr: string }).stderr).toContain('iad-r1-grpo: weights: no reward named "tpye"; registered: consistency, answer, location, type');
    const alphaAlone = await run('node', [cli, 'train', '--model', dir, '--data', data, '--out', join(dir, 'run'), '--steps', '1', '--lora-alpha', '8']).catch((e: { code: number; stderr: string }) => e);
    expect((alphaAlone as { stderr: string }).stderr).toContain('iad-r1-grpo: --lora-alpha and --lora-targets need --lora-rank');
  });
});
