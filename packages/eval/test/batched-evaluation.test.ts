import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { type AnomalyDataset, type SyntheticSet, generateSyntheticSet, readSyntheticSet } from '@iad-r1/datasets';
import type { VisionLanguageModel } from '@iad-r1/models';
import { BpeTokenizer, TinyVLM, selectBackend } from '@iad-r1/models/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluate } from '../src/index';

const dir = mkdtempSync(join(tmpdir(), 'iad-r1-eval-batched-'));
let set: SyntheticSet;
let model: TinyVLM;

beforeAll(async () => {
  await selectBackend({ prefer: 'wasm', log: () => undefined });
  await generateSyntheticSet({ out: join(dir, 'synthetic'), seed: 2, size: 32, perCategory: 1, benchmarkPerCategory: 2 });
  set = await readSyntheticSet(join(dir, 'synthetic'));
  const tokenizer = BpeTokenizer.train(['<think>The image shows a part.</think><answer>yes</answer> no'], { vocabSize: 300 });
  model = TinyVLM.create({ vocabSize: tokenizer.size, width: 32, layers: 1, heads: 2, mlp: 64, visionWidth: 16, visionLayers: 1, visionHeads: 2, maxSequence: 1024 }, tokenizer, { seed: 5 });
});

const bench = (name: string): AnomalyDataset => set.benchmarks[name] as AnomalyDataset;

/** The in-process model itself, counting its generate calls and the requests in each. */
function counted(m: TinyVLM): { model: TinyVLM; calls: number[] } {
  const calls: number[] = [];
  const generate = m.generate.bind(m);
  const wrapped = Object.create(m) as TinyVLM;
  wrapped.generate = (requests, options) => {
    calls.push(requests.length);
    return generate(requests, options);
  };
  return { model: wrapped, calls };
}

const responses = (out: string) =>
  Object.fromEntries(
    readFileSync(join(out, 'answers.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { key: string; response: string })
      .map((r) => [r.key, r.response]),
  );

describe('evaluate with batchSize', () => {
  it('sends batchSize images per generate call and gets the answers one image at a time gets, 0-shot and 1-shot', async () => {
    const benchmark = bench('syn-mvtec');
    const total = benchmark.samples.filter((s) => s.split === 'test').length;
    expect(total).toBeGreaterThan(5);
    for (const shots of [0, 1]) {
      const one = counted(model);
      const single = await evaluate({ model: one.model, datasets: [benchmark], shots, out: join(dir, `single-${shots}`), concurrency: 1, maxNewTokens: 12 });
      expect(one.calls.every((n) => n === 1)).toBe(true);
      const five = counted(model);
      const batched = await evaluate({ model: five.model, datasets: [benchmark], shots, out: join(dir, `batched-${shots}`), concurrency: 1, batchSize: 5, maxNewTokens: 12 });
      expect(five.calls).toEqual([...Array(Math.floor(total / 5)).fill(5), ...(total % 5 ? [total % 5] : [])]);
      expect(responses(join(dir, `batched-${shots}`))).toEqual(responses(join(dir, `single-${shots}`)));
      expect(batched.summary).toEqual(single.summary);
    }
  });

  it("files each answer of a batch under its own image (a counterpart model that names the query image it was sent)", async () => {
    const sizes: number[] = [];
    const naming: VisionLanguageModel = {
      id: 'names-the-query',
      generate: async (requests) => {
        sizes.push(requests.length);
        return requests.map((messages) => {
          const images = messages.flatMap((m) => (typeof m.content === 'string' ? [] : m.content)).flatMap((p) => (p.type === 'image' ? [p.image] : []));
          const query = String(images.at(-1));
          return { completions: [{ text: `${basename(dirname(query))}/${basename(query)} <answer>${query.includes('/good/') ? 'no' : 'yes'}</answer>`, finishReason: 'stop' }] };
        });
      },
    };
    const benchmark = bench('syn-dtd');
    const result = await evaluate({ model: naming, datasets: [benchmark], shots: 1, out: join(dir, 'naming'), concurrency: 2, batchSize: 3 });
    expect(sizes.length).toBeGreaterThan(1);
    expect(Math.max(...sizes)).toBe(3);
    for (const a of result.answers) expect(a.response.startsWith(`${basename(dirname(a.image))}/${basename(a.image)} `)).toBe(true);
    expect(result.summary.average.balancedAccuracy).toBe(100);
  });

  it('a missing image fails alone: the rest of its batch is answered', async () => {
    const benchmark = bench('syn-visa');
    const tests = benchmark.samples.filter((s) => s.split === 'test');
    const missing = tests[1] as (typeof tests)[number];
    rmSync(missing.imagePath);
    const lines: string[] = [];
    const result = await evaluate({ model, datasets: [benchmark], shots: 0, out: join(dir, 'missing'), concurrency: 1, batchSize: 4, maxNewTokens: 4, log: (l) => lines.push(l) });
    expect(result.failures.map((f) => f.key)).toHaveLength(1);
    expect(result.answers).toHaveLength(tests.length - 1);
    expect(lines.join('\n')).toContain(missing.imagePath.split('/').pop() as string);
  });

  it('when a batch fails, asks its images one at a time, so only the one the model refuses fails', async () => {
    const benchmark = bench('syn-sdd');
    const tests = benchmark.samples.filter((s) => s.split === 'test');
    const refused = (tests[2] as (typeof tests)[number]).imagePath;
    const sizes: number[] = [];
    const picky: VisionLanguageModel = {
      id: 'refuses-one-image',
      generate: async (requests) => {
        sizes.push(requests.length);
        const queries = requests.map((messages) => String(messages.flatMap((m) => (typeof m.content === 'string' ? [] : m.content)).flatMap((p) => (p.type === 'image' ? [p.image] : [])).at(-1)));
        if (queries.includes(refused)) throw new Error('prompt too long for this model');
        return queries.map(() => ({ completions: [{ text: '<answer>yes</answer>', finishReason: 'stop' }] }));
      },
    };
    const lines: string[] = [];
    const result = await evaluate({ model: picky, datasets: [benchmark], shots: 0, out: join(dir, 'picky'), concurrency: 1, batchSize: 4, log: (l) => lines.push(l) });
    expect(result.failures).toEqual([{ key: expect.any(String), error: 'prompt too long for this model' }]);
    expect(result.answers.map((a) => a.image).sort()).toEqual(tests.map((t) => t.imagePath).filter((p) => p !== refused).sort());
    // The first batch of 4 failed, then its 4 images were asked alone.
    expect(sizes.slice(0, 5)).toEqual([4, 1, 1, 1, 1]);
    expect(lines.join('\n')).toContain(`${refused}: request failed (prompt too long for this model)`);
  });

  it('refuses a batchSize below 1', async () => {
    await expect(evaluate({ model, datasets: [bench('syn-mvtec')], shots: 0, out: join(dir, 'zero'), batchSize: 0 })).rejects.toThrow(/batchSize must be a whole number ≥ 1, got 0/);
  });
});
