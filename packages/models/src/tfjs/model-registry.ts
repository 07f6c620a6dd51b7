import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CheckpointError } from './checkpoint/checkpoint-error';
import { applyLora } from './lora/apply-lora';
import { ADAPTER_CONFIG_FILE, readAdapterConfig, restoreAdapter } from './lora/adapter-files';
import type { TrainableModel } from './trainable/trainable-model';
import type { ArchitectureEntry, LoadModelOptions } from './architectures/architecture-entry';
import { readJsonFile } from './architectures/hf-folder';
import { qwen2Architecture } from './architectures/qwen2/qwen2-architecture';
import { tinyVlmArchitecture } from './architectures/tiny-vlm/tiny-vlm-architecture';

/** The architectures `loadModel` opens; adding one is a folder under `architectures/` and a line here. */
export const ARCHITECTURES: readonly ArchitectureEntry[] = [tinyVlmArchitecture, qwen2Architecture];

/** A checkpoint folder whose architecture is not one of {@link ARCHITECTURES}. */
export class UnsupportedArchitectureError extends Error {
  override readonly name = 'UnsupportedArchitectureError';
  constructor(
    readonly dir: string,
    readonly modelType: unknown,
    readonly architectures: unknown,
  ) {
    super(
      `${dir}: model_type ${JSON.stringify(modelType ?? null)}${Array.isArray(architectures) ? ` (architectures ${architectures.join(', ')})` : ''} is not supported; supported: ${ARCHITECTURES.map((a) => a.name).join(', ')}`,
    );
  }

  /** True for an `UnsupportedArchitectureError`, also one from another copy of this package. */
  static isInstance(error: unknown): error is UnsupportedArchitectureError {
    return error instanceof Error && error.name === 'UnsupportedArchitectureError';
  }
}

/** The registry entry for a checkpoint folder's config.json. */
export async function architectureOf(dir: string): Promise<{ entry: ArchitectureEntry; config: Record<string, unknown> }> {
  const config = await readJsonFile(dir, 'config.json');
  const entry = ARCHITECTURES.find((a) => a.matches(config));
  if (!entry) throw new UnsupportedArchitectureError(dir, config.model_type ?? config.architecture, config.architectures);
  return { entry, config };
}

/**
 * Opens any supported checkpoint folder as a trainable model: dispatches on its config.json
 * (`model_type` / `architectures`, or TinyVLM's `architecture`). A folder with a PEFT adapter
 * (`adapter_config.json`) opens its base model (`base_model_name_or_path`, or the folder itself)
 * and attaches the adapter.
 *
 * @example
 * const model = await loadModel('Qwen2.5-0.5B-Instruct');
 * console.log(model.architecture, model.parameterCount());
 */
export async function loadModel(dir: string, options: LoadModelOptions = {}): Promise<TrainableModel> {
  if (!existsSync(dir)) throw new CheckpointError(dir, 'no such folder');
  if (existsSync(join(dir, ADAPTER_CONFIG_FILE))) {
    const adapter = await readAdapterConfig(dir);
    if (!existsSync(join(adapter.baseDir, 'config.json'))) throw new CheckpointError(join(dir, ADAPTER_CONFIG_FILE), `its base model ${adapter.baseDir} has no config.json`);
    const { entry } = await architectureOf(adapter.baseDir);
    const model = await entry.load(adapter.baseDir, options);
    try {
      applyLora(model, adapter.settings);
      await restoreAdapter(dir, model.weights);
    } catch (error) {
      model.dispose();
      throw error;
    }
    return model;
  }
  const { entry } = await architectureOf(resolve(dir));
  return entry.load(dir, options);
}
