// Evaluates a saved TinyVLM in a worker thread. TensorFlow.js's wasm backend runs on one thread
// in Node, so an evaluation in a worker uses the second core while training goes on in the main
// thread; each thread has its own engine and its own copy of the weights.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

/**
 * Starts `@iad-r1/eval`'s `evaluate` on the model saved in `modelDir`, in a worker thread, and
 * resolves to its summary. `datasets` are plain `AnomalyDataset` objects (they are copied);
 * `prompt` names the test prompts (`TEST_PROMPTS`), `iad-r1` unless given.
 */
export function evaluateInWorker({ modelDir, datasets, prompt = 'iad-r1', shots, out, maxNewTokens, seed }) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: { modelDir, datasets, prompt, shots, out, maxNewTokens, seed } });
    let summary;
    worker.once('message', (message) => {
      summary = message;
    });
    worker.once('error', reject);
    worker.once('exit', (code) => (summary ? resolve(summary) : reject(new Error(`evaluation of ${modelDir} (${shots}-shot) stopped with exit code ${code}`))));
  });
}

if (!isMainThread && workerData?.modelDir) {
  const { evaluate } = await import('@iad-r1/eval');
  const { TinyVLM, selectBackend } = await import('@iad-r1/models/tfjs');
  await selectBackend({ log: () => undefined });
  const model = await TinyVLM.load(workerData.modelDir);
  const { modelDir: _, ...options } = workerData;
  // One generate call decodes 16 images' answers together: on a model this small a batch's step
  // costs little more than one row's.
  const { summary } = await evaluate({ model, concurrency: 1, batchSize: 16, ...options });
  parentPort.postMessage(summary);
  model.dispose();
}
