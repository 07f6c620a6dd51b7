// pnpm --filter @iad-r1/grpo bench
// Time of one SC-GRPO step, split into generation (G completions per prompt, KV-cached) and update
// (log-probs of policy and reference, loss, backward, AdamW), for the demo's model size.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_QUESTION, assistantTarget } from '@iad-r1/cot-schema';
import { generateSyntheticSet, readSyntheticSet } from '@iad-r1/datasets';
import { BpeTokenizer, TinyVLM, selectBackend } from '@iad-r1/models/tfjs';
import { samplesFromExpertAd, trainGrpo } from '../dist/index.js';

const { backend } = await selectBackend();
const dir = mkdtempSync(join(tmpdir(), 'iad-r1-grpo-bench-'));
await generateSyntheticSet({ out: join(dir, 'syn'), seed: 0, size: 32, perCategory: 2 });
const set = await readSyntheticSet(join(dir, 'syn'));
const tokenizer = BpeTokenizer.train([...set.expertAd.map((r) => assistantTarget(r)), DEFAULT_QUESTION], { vocabSize: 512 });
const policy = TinyVLM.create({ imageSize: 32, patchSize: 8, visionWidth: 64, visionLayers: 2, visionHeads: 4, width: 96, layers: 2, heads: 4, mlp: 384, maxSequence: 256, vocabSize: tokenizer.size }, tokenizer, { seed: 0 });
for (const maxNewTokens of [64, 128]) {
  const result = await trainGrpo({ policy, samples: samplesFromExpertAd(set.expertAd, { imagesRoot: set.root }), out: join(dir, `run-${maxNewTokens}`), steps: 3, groupSize: 4, promptsPerStep: 4, maxNewTokens, resume: false });
  const [, ...measured] = result.metrics; // the first step warms up
  const mean = (f) => measured.reduce((s, m) => s + f(m), 0) / measured.length;
  console.log(JSON.stringify({ bench: 'grpo-step', backend, prompts: 4, groupSize: 4, maxNewTokens, completionLength: +mean((m) => m.completionLength).toFixed(1), generationSeconds: +mean((m) => m.generationSeconds).toFixed(3), updateSeconds: +mean((m) => m.updateSeconds).toFixed(3) }));
}
// Checkpoints and reference weights are scratch here.
rmSync(dir, { recursive: true, force: true });
