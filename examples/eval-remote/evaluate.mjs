#!/usr/bin/env node
// Evaluate a served VLM (vLLM, Ollama, llama.cpp, LM Studio, OpenAI) on a benchmark folder.
//   node evaluate.mjs --base-url http://127.0.0.1:8000/v1 --model Qwen/Qwen2.5-VL-7B-Instruct \
//     --dataset mvtec --root /data/mvtec_anomaly_detection [--shots 1] [--prompt base] [--limit 50] [--out runs/x]
import { parseArgs } from 'node:util';
import { readDataset } from '@iad-r1/datasets';
import { evaluate } from '@iad-r1/eval';
import { OpenAICompatibleModel } from '@iad-r1/models/openai';

const { values } = parseArgs({
  options: {
    'base-url': { type: 'string' },
    model: { type: 'string' },
    dataset: { type: 'string', default: 'mvtec' },
    root: { type: 'string' },
    shots: { type: 'string', default: '0' },
    prompt: { type: 'string', default: 'base' },
    limit: { type: 'string' },
    concurrency: { type: 'string', default: '4' },
    out: { type: 'string', default: 'runs/eval-remote' },
  },
});
if (!values['base-url'] || !values.model || !values.root) {
  console.error('usage: node evaluate.mjs --base-url URL --model NAME --root DIR [--dataset mvtec] [--shots 0|1] [--prompt base] [--limit N] [--out DIR]');
  process.exit(2);
}
const model = new OpenAICompatibleModel({ model: values.model, baseUrl: values['base-url'], concurrency: Number(values.concurrency) });
const dataset = await readDataset(values.dataset, values.root);
const { summary, failures } = await evaluate({
  model,
  datasets: [dataset],
  shots: Number(values.shots),
  prompt: values.prompt,
  out: values.out,
  ...(values.limit ? { limit: Number(values.limit) } : {}),
  onProgress: ({ done, total, summary: s }) => process.stderr.write(`\r${done}/${total} images, balanced accuracy so far ${s.average.balancedAccuracy.toFixed(1)}`),
});
process.stderr.write('\n');
for (const [name, d] of Object.entries(summary.datasets)) {
  console.log(`${name}: balanced accuracy ${d.balancedAccuracy.toFixed(1)} (TPR ${d.tpr.toFixed(1)}, TNR ${d.tnr.toFixed(1)}, ${d.n} images, ${d.unparsed} unparsed)`);
}
console.log(`reports: ${values.out}/report.md, ${values.out}/report.html${failures.length ? ` — ${failures.length} failed requests, re-run to retry` : ''}`);
