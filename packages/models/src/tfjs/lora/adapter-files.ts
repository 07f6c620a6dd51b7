import { existsSync } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { CheckpointError } from '../checkpoint/checkpoint-error';
import { SafetensorsFile, writeSafetensors } from '../checkpoint/safetensors-file';
import { tf } from '../tf';
import type { WeightSet } from '../nn/weights';
import { type LoraSettings, type LoraSettingsInput, targetPattern } from './lora-settings';

/** PEFT's adapter files. */
export const ADAPTER_CONFIG_FILE = 'adapter_config.json';
export const ADAPTER_WEIGHTS_FILE = 'adapter_model.safetensors';
// PEFT saves each adapter tensor under the wrapped model's path.
const KEY_PREFIX = 'base_model.model.';

/** The fields of PEFT's `adapter_config.json` this package reads; anything it cannot honour is refused. */
const adapterConfigSchema = z
  .object({
    peft_type: z.literal('LORA', { error: (issue) => `peft_type ${JSON.stringify(issue.input)} is not supported (only LORA)` }),
    base_model_name_or_path: z.string().nullish(),
    r: z.number().int().positive(),
    lora_alpha: z.number().positive(),
    lora_dropout: z.number().min(0).lt(1).default(0),
    target_modules: z.union([z.array(z.string()), z.string()]),
    use_rslora: z.boolean().default(false),
    bias: z.literal('none', { error: () => 'bias other than "none" is not supported' }).default('none'),
    fan_in_fan_out: z.literal(false, { error: () => 'fan_in_fan_out adapters are not supported' }).default(false),
    use_dora: z.literal(false, { error: () => 'DoRA adapters are not supported' }).default(false),
    modules_to_save: z.union([z.null(), z.array(z.string()).length(0, { error: () => 'modules_to_save is not supported' })]).default(null),
    layers_to_transform: z.null({ error: () => 'layers_to_transform is not supported' }).default(null),
    rank_pattern: z.record(z.string(), z.unknown()).refine((v) => Object.keys(v).length === 0, 'rank_pattern is not supported').default({}),
    alpha_pattern: z.record(z.string(), z.unknown()).refine((v) => Object.keys(v).length === 0, 'alpha_pattern is not supported').default({}),
  })
  .passthrough();

/** An adapter folder's settings and the folder of the base model it adapts. */
export interface AdapterFolder {
  settings: LoraSettingsInput;
  /** Absolute path of the base model, resolved against the adapter folder. */
  baseDir: string;
}

/** Reads `adapter_config.json`; the base model is `base_model_name_or_path`, or the folder itself when it holds weights too. */
export async function readAdapterConfig(dir: string): Promise<AdapterFolder> {
  const file = join(dir, ADAPTER_CONFIG_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new CheckpointError(file, `cannot be read as JSON (${(error as Error).message})`);
  }
  const parsed = adapterConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CheckpointError(file, `field ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  const c = parsed.data;
  if (typeof c.target_modules === 'string') {
    try {
      targetPattern(c.target_modules);
    } catch (error) {
      throw new CheckpointError(file, `field target_modules: ${(error as Error).message}`);
    }
  }
  const named = c.base_model_name_or_path;
  const namedDir = named ? (isAbsolute(named) ? named : resolve(dir, named)) : undefined;
  const ownModel = existsSync(join(dir, 'config.json'));
  // A folder holding its own model and an adapter made for another base mixes two exports (an
  // adapter written over a merged export): applying it to these weights would apply it twice.
  if (ownModel && namedDir !== undefined && resolve(namedDir) !== resolve(dir) && existsSync(namedDir)) {
    throw new CheckpointError(file, `is an adapter for the base ${namedDir}, but ${dir} also holds a model of its own (config.json): two exports were written into one folder (or it was copied from a folder whose adapter named that folder itself); export again into a new folder`);
  }
  const baseDir = ownModel ? resolve(dir) : (namedDir ?? resolve(dir));
  return { settings: { rank: c.r, alpha: c.lora_alpha, dropout: c.lora_dropout, targetModules: c.target_modules, rsLora: c.use_rslora }, baseDir };
}

/**
 * Writes the adapters of `weights` as a PEFT adapter: `adapter_config.json` and
 * `adapter_model.safetensors` (lora_A [r, in], lora_B [out, r], float32), loadable with
 * `PeftModel.from_pretrained(base, dir)` and `vllm serve --enable-lora`.
 */
export async function writeAdapter(dir: string, weights: WeightSet, baseDir: string, options: { taskType?: string } = {}): Promise<void> {
  const settings = weights.loraSettings as LoraSettings;
  const config = {
    peft_type: 'LORA',
    task_type: options.taskType ?? 'CAUSAL_LM',
    base_model_name_or_path: baseDir,
    r: settings.rank,
    lora_alpha: settings.alpha,
    lora_dropout: settings.dropout,
    target_modules: settings.targetModules,
    use_rslora: settings.rsLora,
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    modules_to_save: null,
    layers_to_transform: null,
    layers_pattern: null,
    rank_pattern: {},
    alpha_pattern: {},
  };
  const transposedValues = (v: tf.Variable) => async () => {
    const t = tf.transpose(v);
    try {
      return (await t.data()) as Float32Array;
    } finally {
      t.dispose();
    }
  };
  const tensors = [...weights.lora].flatMap(([module, m]) => [
    { name: `${KEY_PREFIX}${module}.lora_A.weight`, shape: [m.a.shape[1] as number, m.a.shape[0] as number], dtype: 'F32' as const, values: transposedValues(m.a) },
    { name: `${KEY_PREFIX}${module}.lora_B.weight`, shape: [m.b.shape[1] as number, m.b.shape[0] as number], dtype: 'F32' as const, values: transposedValues(m.b) },
  ]);
  await writeSafetensors(join(dir, ADAPTER_WEIGHTS_FILE), tensors, { format: 'pt' });
  const configPath = join(dir, ADAPTER_CONFIG_FILE);
  await writeFile(`${configPath}.tmp`, `${JSON.stringify(config, null, 2)}\n`);
  await rename(`${configPath}.tmp`, configPath);
}

/** Assigns the adapter tensors saved in `dir` to the adapters attached to `weights` (every module must match). */
export async function restoreAdapter(dir: string, weights: WeightSet): Promise<void> {
  const path = join(dir, ADAPTER_WEIGHTS_FILE);
  const file = await SafetensorsFile.open(path);
  try {
    const inFile = new Set([...file.entries.keys()].filter((k) => k.endsWith('.lora_A.weight')).map((k) => k.slice(k.startsWith(KEY_PREFIX) ? KEY_PREFIX.length : 0, -'.lora_A.weight'.length)));
    for (const module of inFile) if (!weights.lora.has(module)) throw new CheckpointError(path, `adapts ${module}, which the target modules of this model do not select`, `${KEY_PREFIX}${module}.lora_A.weight`);
    for (const [module, m] of weights.lora) {
      for (const [part, variable] of [['lora_A', m.a], ['lora_B', m.b]] as const) {
        const key = file.entries.has(`${KEY_PREFIX}${module}.${part}.weight`) ? `${KEY_PREFIX}${module}.${part}.weight` : `${module}.${part}.weight`;
        const entry = file.entries.get(key);
        const expected = [variable.shape[1] as number, variable.shape[0] as number];
        if (!entry) throw new CheckpointError(path, `missing (the adapter of ${module} needs [${expected}])`, key);
        if (entry.shape.join(',') !== expected.join(',')) throw new CheckpointError(path, `has shape [${entry.shape}] but rank and layer need [${expected}]`, key);
        const values = await file.readFloat32(key);
        tf.tidy(() => variable.assign(tf.transpose(tf.tensor(values, entry.shape))));
      }
    }
  } finally {
    await file.close();
  }
}
