// pnpm --filter @iad-r1/models bench
// On every backend that loads here, one JSON line per measurement:
// - train-step: tokens/s of a training step (forward + backward + AdamW), for TinyVLM's decoder
//   {layers 2, width 128, heads 4, mlp 512, vocab 256} and for a Qwen2 decoder of the same size
//   {layers 2, hidden 128, 4 heads / 2 key-value heads, intermediate 512, byte-level vocabulary
//   263}, 8 sequences of 96 tokens; Qwen2's line also has the memory the step holds after its
//   forward pass (tf.memory(): weights, optimiser state, activations kept for the backward pass)
//   beside the package's own float32 estimate of it.
// - decode: KV-cached decode tokens/s at prefix lengths 50 and 400, for both.
// - qwen2-vl-train-step / qwen2-vl-decode: a tiny Qwen2.5-VL (the decoder above, a 2-block
//   32-wide vision tower with 4-pixel patches): a training step on 8 prompts with one 32 × 32
//   image each (64 patches → 16 image tokens), and decoding after a one-image prompt of about 50
//   and 400 tokens.
// - llava-onevision-train-step / llava-onevision-decode: a tiny LLaVA-OneVision (the decoder above,
//   a 2-layer 32-wide SigLIP tower reading 32-pixel tiles in 4-pixel patches, grids up to 64 × 64):
//   the same steps, each 32 × 32 image read as the whole image and one tile (2 × 64 patches → 136
//   image tokens with the newlines).
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { AdamW, BpeTokenizer, HfTokenizer, LlavaOnevisionForConditionalGeneration, Qwen2ForCausalLM, Qwen2VLForConditionalGeneration, TinyVLM, byteLevelTokenizerFiles, estimateMemory, llavaOnevisionArchitecture, qwen25VlArchitecture, qwen2Architecture, sftLoss } from '../dist/tfjs/index.js';

const backends = [];
for (const [name, pkg] of [['node-gpu', '@tensorflow/tfjs-node-gpu'], ['node', '@tensorflow/tfjs-node'], ['wasm', '@tensorflow/tfjs-backend-wasm'], ['cpu', null]]) {
  try {
    if (pkg) await import(pkg);
    backends.push(name);
  } catch {
    console.error(`skip ${name}: not installed`);
  }
}

// A tokenizer with exactly 256 entries, from a synthetic corpus.
const syllables = ['ka', 'to', 'ri', 'me', 'su', 'na', 'lo', 'pe', 'di', 'gu', 'ba', 'ne', 'so', 'vi', 'ha', 'mo'];
let seed = 7;
const next = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) >>> 8);
const words = Array.from({ length: 6000 }, () => Array.from({ length: 1 + (next() % 4) }, () => syllables[next() % syllables.length]).join(''));
const bpe = BpeTokenizer.train([words.join(' ')], { vocabSize: 256 });
if (bpe.size !== 256) throw new Error(`tokenizer has ${bpe.size} entries`);
const tinyConfig = { imageSize: 8, patchSize: 8, visionWidth: 8, visionLayers: 0, visionHeads: 1, width: 128, layers: 2, heads: 4, mlp: 512, vocabSize: 256, maxSequence: 512 };
const qwen2Config = { vocab_size: 263, hidden_size: 128, intermediate_size: 512, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 1024, rms_norm_eps: 1e-6, rope_theta: 10000, tie_word_embeddings: true, eos_token_id: 262 };
const byteLevel = HfTokenizer.fromFiles(byteLevelTokenizerFiles());
const [steps, batchSize] = [96, 8];

/** A batch of token ids straight in, every position trained; TinyVLM also needs its (empty) image fields. */
function textBatch(vocab) {
  const ids = new Int32Array(batchSize * steps).map((_, i) => ((i * 31) % (vocab - 16)) + 8);
  const targets = new Int32Array(batchSize * steps).map((_, i) => ((i * 17) % (vocab - 16)) + 8);
  return { batch: batchSize, steps, ids, targets, lossMask: new Float32Array(batchSize * steps).fill(1), valid: new Float32Array(batchSize * steps).fill(1), imagesPerRow: 0, images: new Float32Array(0), placement: new Float32Array(0) };
}

async function trainStepBench(name, backend, model) {
  const trained = model.trainableVariables();
  const variables = trained.map(([, v]) => v);
  const optimizer = new AdamW(trained, { weightDecay: 0.1 });
  const batch = textBatch(model.architecture === 'qwen2' ? qwen2Config.vocab_size : tinyConfig.vocabSize);
  let heldAfterForward = 0;
  const trainStep = () => {
    const { value, grads } = tf.variableGrads(() => {
      const loss = sftLoss(model, batch);
      heldAfterForward = tf.memory().numBytes;
      return loss;
    }, variables);
    const ordered = variables.map((v) => grads[v.name] ?? tf.zerosLike(v));
    optimizer.step(ordered, 1e-3);
    value.dataSync();
    tf.dispose([value, ...ordered]);
  };
  for (let i = 0; i < 2; i++) trainStep();
  const count = backend === 'cpu' ? 4 : 10;
  const start = performance.now();
  for (let i = 0; i < count; i++) trainStep();
  const seconds = (performance.now() - start) / 1000;
  const line = { bench: 'train-step', model: name, backend, tokensPerSecond: +((count * batchSize * steps) / seconds).toFixed(1), msPerStep: +((seconds / count) * 1000).toFixed(1) };
  if (model.architecture === 'qwen2') {
    const estimate = estimateMemory(qwen2Architecture.shape(qwen2Config, 'bench'), { sequenceLength: steps, batch: batchSize, completionLength: steps });
    // Weights, AdamW's two moments and the activations; the gradients do not exist yet.
    const expected = 3 * estimate.weights + estimate.activations;
    Object.assign(line, { bytesAfterForward: heldAfterForward, estimatedBytes: expected, measuredOverEstimate: +(heldAfterForward / expected).toFixed(2) });
  }
  console.log(JSON.stringify(line));
  optimizer.dispose();
}

async function decodeBench(name, backend, model, tokenizer) {
  for (const prefix of [50, 400]) {
    const text = words.slice(0, prefix).join(' ');
    const ids = tokenizer.encode(text).slice(0, prefix - 12);
    const prompt = [{ role: 'user', content: tokenizer.decode(ids) }];
    // Decode speed without the prefill: time N new tokens minus time 1 new token (greedy; the
    // prompt is the same, so both pay the same prefill).
    const timeFor = async (n) => {
      const t0 = performance.now();
      const [r] = await model.generate([prompt], { maxNewTokens: n, temperature: 0 });
      return { seconds: (performance.now() - t0) / 1000, produced: r.completions[0].tokenIds.length };
    };
    await timeFor(4);
    const one = await timeFor(1);
    const many = await timeFor(64);
    const perToken = (many.seconds - one.seconds) / Math.max(1, many.produced - 1);
    console.log(JSON.stringify({ bench: 'decode', model: name, backend, prefix, tokensPerSecond: +(1 / perToken).toFixed(1), newTokens: many.produced, prefillSeconds: +one.seconds.toFixed(3) }));
  }
}

const vlSpecials = ['<|endoftext|>', '<|im_start|>', '<|im_end|>', '<|vision_start|>', '<|vision_end|>', '<|image_pad|>', '<|video_pad|>'];
const vlTemplate = "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{% for part in message['content'] %}{% if part['type'] == 'image' %}<|vision_start|><|image_pad|><|vision_end|>{% else %}{{ part['text'] }}{% endif %}{% endfor %}<|im_end|>\n{% endfor %}<|im_start|>assistant\n";
const vlTokenizer = HfTokenizer.fromFiles(byteLevelTokenizerFiles({ specials: vlSpecials, chatTemplate: vlTemplate }));
const vlConfig = {
  model_type: 'qwen2_5_vl', vocab_size: 272, hidden_size: 128, intermediate_size: 512, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, rope_theta: 10000,
  rope_scaling: { type: 'mrope', mrope_section: [4, 6, 6] }, tie_word_embeddings: true, eos_token_id: 262, vision_start_token_id: 263, image_token_id: 265, video_token_id: 266,
  vision_config: { depth: 2, hidden_size: 32, num_heads: 2, intermediate_size: 64, out_hidden_size: 128, patch_size: 4, spatial_merge_size: 2, temporal_patch_size: 2, window_size: 16, fullatt_block_indexes: [1], hidden_act: 'silu' },
};
const scratch = mkdtempSync(join(tmpdir(), 'iad-r1-models-bench-'));
const imageFile = join(scratch, 'part.png');
await sharp({ create: { width: 32, height: 32, channels: 3, background: { r: 120, g: 90, b: 60 } } }).png().toFile(imageFile);
const vlPrompt = (words) => [{ role: 'user', content: [{ type: 'image', image: imageFile }, { type: 'text', text: words }] }];

const ovTokenizer = HfTokenizer.fromFiles(byteLevelTokenizerFiles({ specials: ['<|endoftext|>', '<|im_start|>', '<|im_end|>', '<image>', '<video>'], chatTemplate: vlTemplate.replace('<|vision_start|><|image_pad|><|vision_end|>', '<image>\n') }));
const ovPinpoints = [[32, 32], [32, 64], [64, 32], [64, 64]];
const ovConfig = {
  model_type: 'llava_onevision', image_token_index: 263, video_token_index: 264, eos_token_id: 262, image_grid_pinpoints: ovPinpoints, tie_word_embeddings: true,
  text_config: { model_type: 'qwen2', vocab_size: 272, hidden_size: 128, intermediate_size: 512, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, rope_theta: 10000, tie_word_embeddings: true, eos_token_id: 262 },
  vision_config: { model_type: 'siglip_vision_model', hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2, num_attention_heads: 2, image_size: 32, patch_size: 4, vision_use_head: false },
};
const vision = {
  'qwen2-vl': { create: () => Qwen2VLForConditionalGeneration.create(vlConfig, vlTokenizer, { seed: 0, preprocessor: { patch_size: 4, merge_size: 2, temporal_patch_size: 2, min_pixels: 64, max_pixels: 4096 } }), shape: () => qwen25VlArchitecture.shape(vlConfig, 'bench') },
  'llava-onevision': { create: () => LlavaOnevisionForConditionalGeneration.create(ovConfig, ovTokenizer, { seed: 0, preprocessor: { size: { height: 32, width: 32 }, image_grid_pinpoints: ovPinpoints, image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5, 0.5] } }), shape: () => llavaOnevisionArchitecture.shape(ovConfig, 'bench') },
};

async function visionLanguageBench(name, backend) {
  const model = vision[name].create();
  const examples = Array.from({ length: batchSize }, (_, i) => ({ messages: vlPrompt(`Are there any defects in part ${i}?`), completion: '<answer>No</answer>' }));
  const batch = await model.prepareTrainingBatch(examples);
  const trained = model.trainableVariables();
  const variables = trained.map(([, v]) => v);
  const optimizer = new AdamW(trained, { weightDecay: 0.1 });
  let held = 0;
  const step = () => {
    const { value, grads } = tf.variableGrads(() => {
      const loss = sftLoss(model, batch);
      held = tf.memory().numBytes;
      return loss;
    }, variables);
    optimizer.step(variables.map((v) => grads[v.name] ?? tf.zerosLike(v)), 1e-3);
    value.dataSync();
    tf.dispose([value, ...Object.values(grads)]);
  };
  step();
  const count = backend === 'cpu' ? 2 : 5;
  const start = performance.now();
  for (let i = 0; i < count; i++) step();
  const seconds = (performance.now() - start) / 1000;
  const tokens = batch.valid.reduce((a, b) => a + b, 0);
  const completion = batch.lossMask.reduce((a, b) => a + b, 0) / batchSize;
  const estimate = estimateMemory(vision[name].shape(), { sequenceLength: batch.steps, batch: batchSize, completionLength: completion, images: 1, imagePixels: 32 * 32 });
  const expected = 3 * estimate.weights + estimate.activations;
  console.log(JSON.stringify({ bench: `${name}-train-step`, backend, tokensPerSecond: +((count * tokens) / seconds).toFixed(1), msPerStep: +((seconds / count) * 1000).toFixed(1), tokensPerStep: tokens, bytesAfterForward: held, estimatedBytes: Math.round(expected), measuredOverEstimate: +(held / expected).toFixed(2) }));
  for (const prefix of [50, 400]) {
    const prompt = vlPrompt(words.slice(0, Math.floor(prefix / 6)).join(' '));
    const timeFor = async (n) => {
      const t0 = performance.now();
      const [r] = await model.generate([prompt], { maxNewTokens: n, temperature: 0 });
      return { seconds: (performance.now() - t0) / 1000, produced: r.completions[0].tokenIds.length };
    };
    await timeFor(2);
    const one = await timeFor(1);
    const many = await timeFor(32);
    const promptTokens = (await model.promptRow(prompt)).ids.length;
    // A random model may stop early at its end-of-sequence token; a few tokens against the
    // prefill's run-to-run noise give no rate (it came out negative once).
    const rate = many.produced >= 16 && many.seconds > one.seconds ? +((many.produced - 1) / (many.seconds - one.seconds)).toFixed(1) : null;
    console.log(JSON.stringify({ bench: `${name}-decode`, backend, promptTokens, tokensPerSecond: rate, newTokens: many.produced, prefillSeconds: +one.seconds.toFixed(3) }));
  }
  optimizer.dispose();
  model.dispose();
}

for (const backend of backends) {
  await tf.setBackend(backend === 'node' || backend === 'node-gpu' ? 'tensorflow' : backend);
  await tf.ready();
  const tiny = TinyVLM.create(tinyConfig, bpe, { seed: 0 });
  await trainStepBench('tiny-vlm', backend, tiny);
  await decodeBench('tiny-vlm', backend, tiny, bpe);
  tiny.dispose();
  const qwen2 = Qwen2ForCausalLM.create(qwen2Config, byteLevel, { seed: 0 });
  await trainStepBench('qwen2', backend, qwen2);
  await decodeBench('qwen2', backend, qwen2, byteLevel);
  qwen2.dispose();
  await visionLanguageBench('qwen2-vl', backend);
  await visionLanguageBench('llava-onevision', backend);
}
rmSync(scratch, { recursive: true, force: true });
