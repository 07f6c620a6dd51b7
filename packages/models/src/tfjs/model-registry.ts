import { existsSync } from 'node:fs';
import { totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { CheckpointError } from './checkpoint/checkpoint-error';
import { replacedVersionsOf } from './checkpoint/replace-folder';
import { applyLora } from './lora/apply-lora';
import { ADAPTER_CONFIG_FILE, readAdapterConfig, restoreAdapter } from './lora/adapter-files';
import { estimateMemory, formatBytes } from './memory-estimate';
import type { TrainableModel } from './trainable/trainable-model';
import type { ArchitectureEntry, LoadModelOptions } from './architectures/architecture-entry';
import { readJsonFile } from './architectures/hf-folder';
import { llavaOnevisionArchitecture } from './architectures/llava-onevision/llava-onevision-architecture';
import { qwen2Architecture } from './architectures/qwen2/qwen2-architecture';
import { qwen25VlArchitecture, qwen2VlArchitecture } from './architectures/qwen2-vl/qwen2-vl-architecture';
import { tinyVlmArchitecture } from './architectures/tiny-vlm/tiny-vlm-architecture';
import { IadR1Error } from '@iad-r1/errors';

/** The architectures `loadModel` opens; adding one is a folder under `architectures/` and a line here. */
export const ARCHITECTURES: readonly ArchitectureEntry[] = [tinyVlmArchitecture, qwen2Architecture, qwen2VlArchitecture, qwen25VlArchitecture, llavaOnevisionArchitecture];

/** A checkpoint folder whose architecture is not one of {@link ARCHITECTURES}. */
export class UnsupportedArchitectureError extends IadR1Error {
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
}

/** A model that would not fit the memory allowed, refused before anything was allocated. */
export class ModelTooLargeError extends IadR1Error {
  override readonly name = 'ModelTooLargeError';
  constructor(
    readonly dir: string,
    readonly estimatedBytes: number,
    readonly limitBytes: number,
  ) {
    super(`${dir}: the model needs about ${formatBytes(estimatedBytes)} in float32 for inference at 2,048 tokens (weights and KV cache), more than the ${formatBytes(limitBytes)} allowed; raise the limit (maxMemoryBytes, --max-memory GB) if this machine has it`);
  }
}

/** Tokens the load-time memory check reserves KV cache for: a 1-shot prompt with two large images. */
const CHECKED_SEQUENCE = 2048;

/** Refuses, before allocating, a checkpoint whose float32 inference estimate exceeds the limit. */
function checkMemory(dir: string, entry: ArchitectureEntry, config: Record<string, unknown>, limit: number | undefined): void {
  const estimate = estimateMemory(entry.shape(config, join(dir, 'config.json')), { sequenceLength: CHECKED_SEQUENCE }).inference;
  const allowed = limit ?? totalmem();
  if (estimate > allowed) throw new ModelTooLargeError(dir, estimate, allowed);
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
 * and attaches the adapter. A model whose float32 inference estimate (weights and a 2,048-token
 * KV cache) exceeds `maxMemoryBytes` (default: the machine's memory) is refused before anything is
 * allocated, with a {@link ModelTooLargeError}.
 *
 * @example
 * const model = await loadModel('Qwen2.5-0.5B-Instruct');
 * console.log(model.architecture, model.parameterCount());
 */
export async function loadModel(dir: string, options: LoadModelOptions = {}): Promise<TrainableModel> {
  if (!existsSync(dir)) {
    const replaced = await replacedVersionsOf(dir);
    throw new CheckpointError(dir, replaced.length > 0 ? `no such folder: an export was stopped while it replaced this folder; its earlier version is ${replaced.join(', ')} (rename it back, or export again)` : 'no such folder');
  }
  if (existsSync(join(dir, ADAPTER_CONFIG_FILE))) {
    const adapter = await readAdapterConfig(dir);
    if (!existsSync(join(adapter.baseDir, 'config.json'))) throw new CheckpointError(join(dir, ADAPTER_CONFIG_FILE), `its base model ${adapter.baseDir} has no config.json`);
    const { entry, config } = await architectureOf(adapter.baseDir);
    checkMemory(adapter.baseDir, entry, config, options.maxMemoryBytes);
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
  const { entry, config } = await architectureOf(resolve(dir));
  checkMemory(dir, entry, config, options.maxMemoryBytes);
  return entry.load(dir, options);
}
