import { existsSync } from 'node:fs';
import { copyFile, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CheckpointError } from '../checkpoint/checkpoint-error';
import { WEIGHTS_INDEX_FILE } from '../checkpoint/checkpoint-weights';
import { replaceFolder } from '../checkpoint/replace-folder';
import { type WeightLayout, writeWeights } from '../checkpoint/weights-io';
import { ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, writeAdapter } from '../lora/adapter-files';
import type { WeightSet } from '../nn/weights';
import type { HfTokenizer } from '../tokenizer/hf-tokenizer';

/** Reads a JSON file of a checkpoint folder; names the file when it is missing or not JSON. */
export async function readJsonFile(dir: string, name: string): Promise<Record<string, unknown>> {
  const file = join(dir, name);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CheckpointError(file, (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : (error as Error).message);
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object');
    return parsed as Record<string, unknown>;
  } catch (error) {
    throw new CheckpointError(file, `is not a JSON object (${(error as Error).message})`);
  }
}

/** `generation_config.json` when the folder has one. */
export async function readGenerationConfig(dir: string): Promise<Record<string, unknown> | undefined> {
  return existsSync(join(dir, 'generation_config.json')) ? readJsonFile(dir, 'generation_config.json') : undefined;
}

// Written by the model itself on save, or by a trainer beside it in a checkpoint (trainer.json,
// GRPO's reference.json); everything else in a source folder is copied as it is.
const WRITTEN = new Set(['config.json', 'tokenizer.json', 'tokenizer_config.json', 'chat_template.json', 'chat_template.jinja', WEIGHTS_INDEX_FILE, ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE, 'trainer.json', 'reference.json']);
const isWeightsFile = (name: string) => /\.(safetensors|bin|pt|pth|gguf|tmp)$/.test(name);

/**
 * Copies the files of a source checkpoint a model does not write itself (generation config,
 * processor config, vocab, README…) into the staging folder of a save, which is renamed into place
 * whole, so each file needs no temporary name of its own.
 */
async function copyAuxiliaryFiles(from: string, to: string): Promise<void> {
  for (const name of await readdir(from)) {
    if (WRITTEN.has(name) || isWeightsFile(name)) continue;
    if (!(await stat(join(from, name))).isFile()) continue;
    await copyFile(join(from, name), join(to, name));
  }
}

/** What {@link saveHfFolder} writes. */
export interface HfFolderContents {
  config: Record<string, unknown>;
  tokenizer: HfTokenizer;
  weights: WeightSet;
  layout: WeightLayout;
  /** The folder the base weights came from (copied files; LoRA adapters point at it). */
  sourceDir: string | undefined;
  /** Extra JSON files to write (e.g. a fresh model's `generation_config.json`). */
  extraFiles?: Record<string, unknown>;
}

/**
 * Writes a model in Hugging Face layout, loadable by transformers and `vllm serve`: config.json,
 * the tokenizer files, the weights in the layout they were loaded with (same files, names,
 * dtypes), and the source folder's other files. A model with LoRA adapters whose base is on disk
 * is written as a PEFT adapter only (`adapter_config.json` pointing at the base,
 * `adapter_model.safetensors`), unless `merged`, which folds the adapters into the weights.
 */
export async function saveHfFolder(dir: string, contents: HfFolderContents, options: { merged?: boolean } = {}): Promise<void> {
  const target = resolve(dir);
  const { weights, sourceDir } = contents;
  const adapters = weights.lora.size > 0 && !options.merged;
  await replaceFolder(target, async (staging) => {
    if (adapters && sourceDir && resolve(sourceDir) !== target) {
      await writeAdapter(staging, weights, resolve(sourceDir));
      return;
    }
    const json: Array<[string, unknown]> = [['config.json', contents.config], ...Object.entries(contents.extraFiles ?? {})];
    for (const [name, value] of json) await writeFile(join(staging, name), `${JSON.stringify(value, null, 2)}\n`);
    await contents.tokenizer.save(staging);
    if (sourceDir) await copyAuxiliaryFiles(sourceDir, staging);
    await writeWeights(staging, weights, contents.layout, { merged: options.merged === true });
    // The adapter's base is the folder it will be in, not the staging folder.
    if (adapters) await writeAdapter(staging, weights, target);
  });
}
