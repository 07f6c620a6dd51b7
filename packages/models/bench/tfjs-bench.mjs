// pnpm --filter @iad-r1/models bench
// Training tokens/s of the decoder-only step {layers 2, width 128, heads 4, mlp 512, vocab 256,
// seqLen 96, batch 8} (forward + backward + AdamW), and KV-cached decode tokens/s at prefix
// lengths 50 and 400, on every backend that loads here. One JSON line per measurement.
import * as tf from '@tensorflow/tfjs';
import { AdamW, BpeTokenizer, TinyVLM } from '../dist/tfjs/index.js';

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
let tokenizer = BpeTokenizer.train([words.join(' ')], { vocabSize: 256 });
if (tokenizer.size !== 256) throw new Error(`tokenizer has ${tokenizer.size} entries`);
const config = { imageSize: 8, patchSize: 8, visionWidth: 8, visionLayers: 0, visionHeads: 1, width: 128, layers: 2, heads: 4, mlp: 512, vocabSize: 256, maxSequence: 512 };

function textBatch(model, steps, batch) {
  // Decoder-only: token ids straight in, every position trained.
  const ids = new Int32Array(batch * steps).map((_, i) => (i * 31) % 200 + 16);
  const targets = new Int32Array(batch * steps).map((_, i) => (i * 17) % 200 + 16);
  return { batch, steps, ids, targets, lossMask: new Float32Array(batch * steps).fill(1), valid: new Float32Array(batch * steps).fill(1), imagesPerRow: 0, images: new Float32Array(0), placement: new Float32Array(0) };
}

for (const name of backends) {
  await tf.setBackend(name === 'node' || name === 'node-gpu' ? 'tensorflow' : name);
  await tf.ready();
  const model = TinyVLM.create(config, tokenizer, { seed: 0 });
  const optimizer = new AdamW(model.namedVariables(), { weightDecay: 0.1 });
  const batch = textBatch(model, 96, 8);
  const trainStep = () => {
    const { value, grads } = tf.variableGrads(() => model.sftLoss(batch), model.trainableVariables);
    const ordered = model.trainableVariables.map((v) => grads[v.name] ?? tf.zerosLike(v));
    optimizer.step(ordered, 1e-3);
    value.dataSync();
    tf.dispose([value, ...ordered]);
  };
  for (let i = 0; i < 2; i++) trainStep();
  const steps = name === 'cpu' ? 4 : 10;
  let start = performance.now();
  for (let i = 0; i < steps; i++) trainStep();
  let seconds = (performance.now() - start) / 1000;
  console.log(JSON.stringify({ bench: 'train-step', backend: name, tokensPerSecond: +((steps * 8 * 96) / seconds).toFixed(1), msPerStep: +((seconds / steps) * 1000).toFixed(1) }));

  for (const prefix of [50, 400]) {
    const text = words.slice(0, prefix).join(' ');
    let ids = tokenizer.encode(text).slice(0, prefix - 3);
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
    console.log(JSON.stringify({ bench: 'decode', backend: name, prefix, tokensPerSecond: +(1 / perToken).toFixed(1), newTokens: many.produced, prefillSeconds: +one.seconds.toFixed(3) }));
  }
  optimizer.dispose();
  model.dispose();
}
