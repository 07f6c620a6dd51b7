#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { CheckpointWeights } from '../checkpoint/checkpoint-weights';
import { ALLOW_NON_FINITE_ENV } from '../checkpoint/safetensors-file';
import { architectureOf, loadModel } from '../model-registry';
import { ADAPTER_CONFIG_FILE, readAdapterConfig } from '../lora/adapter-files';
import { estimateMemory, formatBytes } from '../memory-estimate';
import { selectBackend } from '../select-backend';
import { tf } from '../tf';
import { readRequestFile } from './request-file';
import { endQuietlyOnClosedStdout, exitWithCliError, setUpCli } from '@iad-r1/errors';
import { version } from '../../../package.json';
import { numberArgument, positiveNumberArgument, wholeNumberArgument } from './training-cli-options';

const whole = wholeNumberArgument;
const number = numberArgument;
const backendOption = () => new Option('--backend <name>', 'TensorFlow.js backend').choices(['node-gpu', 'node', 'wasm', 'cpu']);
const maxMemoryOption = () => new Option('--max-memory <GB>', "refuse a model whose float32 inference estimate exceeds this (default: the machine's memory)").argParser(positiveNumberArgument);
const multiImageOption = () => new Option('--multi-image <mode>', 'LLaVA-OneVision, several images in a request: square (each whole, as current transformers) or anyres (each tiled, as older releases)').choices(['square', 'anyres']);
const loadOptions = (o: { maxMemory?: number; multiImage?: 'square' | 'anyres' }) => ({ ...(o.maxMemory !== undefined ? { maxMemoryBytes: o.maxMemory * 1024 ** 3 } : {}), ...(o.multiImage ? { multiImage: o.multiImage } : {}) });
const say = (line: string) => process.stderr.write(`${line}\n`);

const program = setUpCli(
  new Command()
    .name('iad-r1-models')
    .description('Open, inspect and run the in-process models of IAD-R1 (Hugging Face checkpoints and TinyVLM) in TensorFlow.js.')
    .option('--allow-non-finite', `load weights that hold NaN or ±Infinity (refused by default; same as ${ALLOW_NON_FINITE_ENV}=1)`)
    .showHelpAfterError(),
  version,
);
program.hook('preAction', () => {
  if (program.opts().allowNonFinite) process.env[ALLOW_NON_FINITE_ENV] = '1';
});

program
  .command('inspect')
  .description('architecture, parameters, dtypes and float32 memory estimates of a checkpoint folder (reads headers only, loads no weights)')
  .argument('<dir>', 'checkpoint folder (or a PEFT adapter folder)')
  .addOption(new Option('--sequence-length <n>', 'tokens per sequence for the estimates').argParser(whole(1)).default(1024))
  .addOption(new Option('--batch <n>', 'sequences per step for the estimates').argParser(whole(1)).default(1))
  .addOption(new Option('--lora-rank <r>', 'rank for the LoRA estimate').argParser(whole(1)).default(16))
  .addOption(new Option('--images <n>', 'images per sequence, for models with a vision tower').argParser(whole(0)).default(0))
  .addOption(new Option('--image-pixels <n>', 'pixels per image (Qwen2-VL: after resizing, its max_pixels; LLaVA-OneVision: the original square image, whose grid sets the tiles)').argParser(whole(1)).default(480000))
  .option('--json', 'print JSON instead of a table')
  .addHelpText('after', '\nExample:\n  iad-r1-models inspect Qwen2.5-0.5B-Instruct --sequence-length 2048 --lora-rank 16')
  .action(async (input: string, o) => {
    let dir = input;
    let adapter: Awaited<ReturnType<typeof readAdapterConfig>> | undefined;
    if (existsSync(join(input, ADAPTER_CONFIG_FILE)) && !existsSync(join(input, 'config.json'))) {
      adapter = await readAdapterConfig(input);
      dir = adapter.baseDir;
    }
    const { entry, config } = await architectureOf(dir);
    const shape = entry.shape(config, join(dir, 'config.json'));
    const weights = await CheckpointWeights.open(dir);
    const dtypes: Record<string, number> = {};
    let stored = 0;
    for (const e of weights.entries.values()) {
      const n = e.shape.reduce((a, b) => a * b, 1);
      dtypes[e.dtype] = (dtypes[e.dtype] ?? 0) + n;
      stored += e.end - e.begin;
    }
    const files = new Set([...weights.entries.values()].map((e) => e.file)).size;
    await weights.close();
    const memory = estimateMemory(shape, { sequenceLength: o.sequenceLength, batch: o.batch, loraRank: o.loraRank, ...(o.images > 0 ? { images: o.images, imagePixels: o.imagePixels } : {}) });
    const report = {
      dir,
      ...(adapter ? { adapter: { dir: input, ...adapter.settings } } : {}),
      architecture: entry.name,
      description: entry.description,
      parameters: memory.parameters,
      layers: shape.layers,
      hiddenSize: shape.hiddenSize,
      intermediateSize: shape.intermediateSize,
      heads: shape.heads,
      kvHeads: shape.kvHeads,
      headDim: shape.headDim,
      vocabSize: shape.vocabSize,
      weightFiles: files,
      storedBytes: stored,
      dtypes,
      estimate: { sequenceLength: o.sequenceLength, batch: o.batch, loraRank: o.loraRank, ...memory },
    };
    if (o.json) {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return;
    }
    const lines = [
      `${dir}: ${entry.name} — ${entry.description}`,
      ...(adapter ? [`adapter ${input}: LoRA rank ${adapter.settings.rank}, alpha ${adapter.settings.alpha}, targets ${JSON.stringify(adapter.settings.targetModules)}`] : []),
      `parameters      ${memory.parameters.toLocaleString('en-US')} (${shape.layers} layers, hidden ${shape.hiddenSize}, MLP ${shape.intermediateSize}, ${shape.heads} heads / ${shape.kvHeads} key-value heads of ${shape.headDim}, vocabulary ${shape.vocabSize})`,
      `stored          ${formatBytes(stored)} in ${files} file(s): ${Object.entries(dtypes).map(([d, n]) => `${d} ${n.toLocaleString('en-US')}`).join(', ')}`,
      `float32 memory at batch ${o.batch} × ${o.sequenceLength} tokens${o.images > 0 && shape.vision ? `, ${o.images} image(s) of ${o.imagePixels.toLocaleString('en-US')} pixels` : ''} (estimates):`,
      `  inference     ${formatBytes(memory.inference).padStart(10)}   ${memory.formulas.inference}`,
      `  full AdamW    ${formatBytes(memory.fullFineTuning).padStart(10)}   ${memory.formulas.fullFineTuning}`,
      `  LoRA r=${String(o.loraRank).padEnd(6)} ${formatBytes(memory.lora).padStart(10)}   ${memory.formulas.lora} (P_lora ${memory.loraParameters.toLocaleString('en-US')})`,
      `  activations   ${formatBytes(memory.activations).padStart(10)}   ${memory.formulas.activations}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  });

program
  .command('generate')
  .description('answer a request file ({"messages": [...]}, images as paths relative to it) with an in-process model; prints the completions as JSON')
  .requiredOption('--model <dir>', 'checkpoint folder')
  .requiredOption('--request <file>', 'request JSON')
  .addOption(new Option('--max-new-tokens <n>').argParser(whole(1)).default(512))
  .addOption(new Option('--temperature <t>', '0 = greedy').argParser(number).default(0))
  .addOption(new Option('--top-p <p>').argParser(number))
  .addOption(new Option('--top-k <k>').argParser(whole(1)))
  .addOption(new Option('--n <n>', 'completions').argParser(whole(1)).default(1))
  .addOption(new Option('--seed <n>').argParser(whole(0)).default(0))
  .addOption(backendOption())
  .addOption(maxMemoryOption())
  .addOption(multiImageOption())
  .addHelpText('after', '\nExample:\n  iad-r1-models generate --model Qwen2.5-0.5B-Instruct --request request.json --max-new-tokens 64')
  .action(async (o) => {
    await selectBackend({ ...(o.backend ? { prefer: o.backend } : {}), log: say });
    const messages = await readRequestFile(o.request);
    const model = await loadModel(o.model, loadOptions(o));
    const [result] = await model.generate([messages], {
      maxNewTokens: o.maxNewTokens,
      temperature: o.temperature,
      n: o.n,
      seed: o.seed,
      ...(o.topP !== undefined ? { topP: o.topP } : {}),
      ...(o.topK !== undefined ? { topK: o.topK } : {}),
    });
    process.stdout.write(`${JSON.stringify(result)}\n`);
    model.dispose();
  });

program
  .command('logits')
  .description('the input ids of a request (its prompt through the chat template, then a final assistant message if any) and the logits at the last K positions or all, as JSON — for checking against other implementations')
  .requiredOption('--model <dir>', 'checkpoint folder')
  .requiredOption('--request <file>', 'request JSON')
  .addOption(new Option('--positions <k>', "last K positions, or 'all'").default('1'))
  .addOption(backendOption())
  .addOption(maxMemoryOption())
  .addOption(multiImageOption())
  .addHelpText('after', '\nExample:\n  iad-r1-models logits --model tiny-qwen2 --request request.json --positions all > ours.json')
  .action(async (o) => {
    const positions = o.positions === 'all' ? Infinity : whole(1)(o.positions);
    await selectBackend({ ...(o.backend ? { prefer: o.backend } : {}), log: say });
    const messages = await readRequestFile(o.request);
    const model = await loadModel(o.model, loadOptions(o));
    const last = messages[messages.length - 1];
    const batch = await model.prepareTrainingBatch([{ messages, completion: last?.role === 'assistant' ? undefined : '', appendEos: false }]);
    const logits = tf.tidy(() => model.logits(batch).arraySync() as number[][][]);
    const rows = logits[0] as number[][];
    const keep = Math.min(rows.length, positions);
    process.stdout.write(`${JSON.stringify({ inputIds: Array.from(batch.ids), logits: rows.slice(rows.length - keep) })}\n`);
    model.dispose();
  });

endQuietlyOnClosedStdout();
program.parseAsync().catch((error: unknown) => exitWithCliError('iad-r1-models', error));
