// PA-SFT steps with 1 thread and with 2 (data-parallel workers), same model, data and seed, one
// after the other in one run: prints tokens/s of each and their ratio. Uses the synthetic set and
// TinyVLM's default size; `--steps N` (default 6) and `--batch N` (default 8).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_QUESTION } from '@iad-r1/cot-schema';
import { generateSyntheticSet, readSyntheticSet } from '@iad-r1/datasets';
import { BpeTokenizer, TinyVLM, selectBackend } from '@iad-r1/models/tfjs';
import { examplesFromExpertAd, trainSft } from '@iad-r1/sft';

const { values } = parseArgs({ options: { steps: { type: 'string', default: '6' }, batch: { type: 'string', default: '8' } } });
const steps = Number(values.steps);
const batchSize = Number(values.batch);
const { backend } = await selectBackend();
const dir = mkdtempSync(join(tmpdir(), 'iad-r1-workers-bench-'));
await generateSyntheticSet({ out: join(dir, 'syn'), seed: 0, size: 64, perCategory: 4 });
const set = await readSyntheticSet(join(dir, 'syn'));
const examples = examplesFromExpertAd(set.expertAd, { imagesRoot: set.root });
const tokenizer = BpeTokenizer.train([...examples.map((e) => e.completion), DEFAULT_QUESTION], { vocabSize: 512 });

const rates = {};
for (const workers of [1, 2]) {
  const model = TinyVLM.create({ vocabSize: tokenizer.size }, tokenizer, { seed: 0 });
  const perStep = [];
  await trainSft({ model, examples, out: join(dir, `w${workers}`), maxSteps: steps + 1, batchSize, learningRate: 3e-3, workers, onStep: (m) => perStep.push(m) });
  // The first step pays for compilation and the workers' start; it is left out.
  const timed = perStep.slice(1);
  const tokens = timed.reduce((n, m) => n + m.tokens, 0);
  const seconds = (timed.at(-1).seconds - perStep[0].seconds);
  rates[workers] = tokens / seconds;
  console.log(`${workers} thread${workers > 1 ? 's' : ''}: ${rates[workers].toFixed(0)} tokens/s over ${timed.length} steps of ${batchSize} (${backend})`);
  model.dispose();
}
console.log(`2 threads / 1 thread: ${(rates[2] / rates[1]).toFixed(2)}×`);
