// pnpm --filter @iad-r1/models bench (second part): a training step (forward + backward + AdamW,
// every position trained) of TinyVLM's decoder on the fastest backend here, on 1 thread and on
// data-parallel threads (the batch split between worker threads, gradients summed, one AdamW
// step), beside PyTorch CPU's step of the same decoder (torch-train-step.py) in the same run, at
// two sizes: the models bench's (width 128, 2 layers, 8 × 96 tokens) and a larger one (width 512,
// 8 layers, 8 × 256 tokens), PyTorch on 1 thread and on as many as TensorFlow.js gets. Prints one
// JSON line per measurement, then the ratios. Each
// TensorFlow.js measurement runs in its own process, so one that runs out of memory is reported
// and the others still run. PyTorch is skipped, with a message, where `import torch` fails (PATH's python3 and
// /usr/bin/python3 are tried).
//   node bench/train-step-vs-torch.mjs [--threads N] [--only bench|large]
import { execFileSync, spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const CONFIGS = {
  bench: { width: 128, layers: 2, heads: 4, mlp: 512, vocab: 256, batch: 8, steps: 96 },
  large: { width: 512, layers: 8, heads: 8, mlp: 2048, vocab: 256, batch: 8, steps: 256 },
};
const { values: args } = parseArgs({ options: { threads: { type: 'string' }, only: { type: 'string' }, measure: { type: 'string' } } });

if (args.measure) {
  // Child process: one measurement, one JSON line.
  const { config: name, threads } = JSON.parse(args.measure);
  const c = CONFIGS[name];
  const { AdamW, BpeTokenizer, TinyVLM, combineShardGradients, selectBackend, shardRanges, startTrainingWorkers, tf } = await import('../dist/tfjs/index.js');
  const { batchRows, textBatchGradients } = await import('./text-batch-shard.mjs');
  const { backend } = await selectBackend({ log: () => undefined });
  const syllables = ['ka', 'to', 'ri', 'me', 'su', 'na', 'lo', 'pe', 'di', 'gu', 'ba', 'ne', 'so', 'vi', 'ha', 'mo'];
  let seed = 7;
  const next = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) >>> 8);
  const words = Array.from({ length: 6000 }, () => Array.from({ length: 1 + (next() % 4) }, () => syllables[next() % syllables.length]).join(''));
  const tokenizer = BpeTokenizer.train([words.join(' ')], { vocabSize: c.vocab });
  const model = TinyVLM.create({ imageSize: 8, patchSize: 8, visionWidth: 8, visionLayers: 0, visionHeads: 1, width: c.width, layers: c.layers, heads: c.heads, mlp: c.mlp, vocabSize: c.vocab, maxSequence: c.steps }, tokenizer, { seed: 0 });
  const variables = model.trainableVariables();
  const optimizer = new AdamW(variables, { weightDecay: 0.1 });
  // The token ids of torch-train-step.py.
  const n = c.batch * c.steps;
  const whole = { batch: c.batch, steps: c.steps, ids: new Int32Array(n).map((_, i) => ((i * 31) % (c.vocab - 16)) + 8), targets: new Int32Array(n).map((_, i) => ((i * 17) % (c.vocab - 16)) + 8), lossMask: new Float32Array(n).fill(1), valid: new Float32Array(n).fill(1), imagesPerRow: 0, images: new Float32Array(0), placement: new Float32Array(0) };
  const handler = fileURLToPath(new URL('./text-batch-shard.mjs', import.meta.url));
  const workers = await startTrainingWorkers({ workers: threads, model, variables, handlerModules: [handler] });
  const shards = shardRanges(c.batch, threads).map(([from, to]) => batchRows(whole, from, to));
  const context = { model, variables, state: new Map() };
  const shapes = variables.map(([, v]) => v.shape);
  let peakBytes = 0;
  let passes = 1;
  const step = async () => {
    const remote = workers?.pool.run('text-batch-gradients', shards.slice(1).map((batch) => ({ batch })));
    const local = textBatchGradients(context, shards[0]);
    passes = local.result.passes;
    peakBytes = Math.max(peakBytes, tf.memory().numBytes);
    const parts = [{ grads: local.grads, weight: shards[0].batch / c.batch }, ...(remote ? (await remote).map((r, k) => ({ grads: r.grads, weight: shards[k + 1].batch / c.batch })) : [])];
    const grads = combineShardGradients(parts, shapes);
    tf.dispose(local.grads);
    optimizer.step(grads, 1e-3);
    workers?.pool.weightsChanged();
    tf.dispose(grads);
  };
  try {
    for (let i = 0; i < 2; i++) await step();
    const repeats = name === 'large' ? 3 : 10;
    const start = performance.now();
    for (let i = 0; i < repeats; i++) await step();
    const seconds = (performance.now() - start) / 1000;
    console.log(JSON.stringify({ bench: 'tfjs-train-step', config: name, backend, threads, tokensPerSecond: +((repeats * c.batch * c.steps) / seconds).toFixed(1), msPerStep: +((seconds / repeats) * 1000).toFixed(1), passesPerThread: passes, bytesHeldAfterBackward: peakBytes }));
  } finally {
    await workers?.close();
  }
  process.exit(0);
}

const threads = Number(args.threads ?? Math.max(2, availableParallelism()));
const names = args.only ? [args.only] : Object.keys(CONFIGS);
// The first Python that imports torch: PATH's python3 (often a pyenv or venv one), then Debian's,
// where apt's python3-torch installs.
const python = ['python3', '/usr/bin/python3'].find((p) => spawnSync(p, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0);
const torchPresent = python !== undefined;
if (!torchPresent) console.error('skip PyTorch: `python3 -c "import torch"` fails here, with python3 and /usr/bin/python3 (Debian: apt-get install python3-torch)');
const script = fileURLToPath(import.meta.url);
const results = [];
for (const name of names) {
  const c = CONFIGS[name];
  const row = { config: name, ...c };
  for (const n of [1, threads]) {
    const child = spawnSync(process.execPath, [script, '--measure', JSON.stringify({ config: name, threads: n })], { encoding: 'utf8', maxBuffer: 1 << 24 });
    const line = child.stdout.split('\n').find((l) => l.startsWith('{'));
    if (child.status === 0 && line) {
      console.log(line);
      row[`tfjs${n === 1 ? 1 : 'N'}`] = JSON.parse(line).tokensPerSecond;
    } else {
      const reason = (child.stderr.match(/(RuntimeError|RangeError|Error)[^\n]*/) ?? [`exit ${child.status}`])[0];
      console.log(JSON.stringify({ bench: 'tfjs-train-step', config: name, threads: n, failed: reason }));
    }
  }
  if (torchPresent) {
    for (const n of [1, threads]) {
      const out = execFileSync(python, [fileURLToPath(new URL('./torch-train-step.py', import.meta.url)), JSON.stringify({ ...c, repeats: name === 'large' ? 3 : 10, threads: n })], { encoding: 'utf8' });
      console.log(out.trim());
      row[`torch${n === 1 ? 1 : 'N'}`] = JSON.parse(out).tokensPerSecond;
    }
  }
  results.push(row);
}
for (const r of results) {
  const ratio = (a, b) => (a && b ? (a / b).toFixed(2) : 'n/a');
  console.log(
    `${r.config} (width ${r.width}, ${r.layers} layers, ${r.batch} × ${r.steps} tokens): TensorFlow.js ${r.tfjs1 ?? 'failed'} tokens/s on 1 thread, ${r.tfjsN ?? 'failed'} on ${threads}; ` +
      `PyTorch CPU ${r.torch1 ?? 'not run'} on 1 thread, ${r.torchN ?? 'not run'} on ${threads}; ` +
      `TensorFlow.js on ${threads} threads / PyTorch on ${threads}: ${ratio(r.tfjsN, r.torchN)}; 1 thread / 1 thread: ${ratio(r.tfjs1, r.torch1)}`,
  );
}
