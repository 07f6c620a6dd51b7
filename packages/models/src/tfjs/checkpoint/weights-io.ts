import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tf } from '../tf';
import { restoreAdapter } from '../lora/adapter-files';
import { loraUpdate } from '../lora/apply-lora';
import { WeightSet, type WeightSpec } from '../nn/weights';
import { CheckpointError } from './checkpoint-error';
import { type CheckpointTensor, CheckpointWeights, SINGLE_WEIGHTS_FILE, WEIGHTS_INDEX_FILE, assignShards, fileShape, tensorBytes, writeCheckpointTensors } from './checkpoint-weights';
import { FLOAT_DTYPES, type FloatDtype } from './dtype';

/** Where each weight goes when saved (file of the folder, dtype), and whether an index is written. */
export interface WeightLayout {
  fileOf(name: string): string;
  dtypeOf(name: string): FloatDtype;
  index: boolean;
}

/** Every weight in one `model.safetensors`, all of one dtype. */
export function singleFileLayout(dtype: FloatDtype = 'F32'): WeightLayout {
  return { fileOf: () => SINGLE_WEIGHTS_FILE, dtypeOf: () => dtype, index: false };
}

/** A fresh layout: shards of at most `maxShardBytes` (transformers' default 5 GB), one dtype. */
export function shardedLayout(specs: readonly WeightSpec[], dtype: FloatDtype, maxShardBytes?: number): WeightLayout {
  const files = assignShards(specs.map((s) => ({ name: s.name, bytes: tensorBytes(s.shape, dtype) })), maxShardBytes);
  return { fileOf: (name) => files.get(name) ?? SINGLE_WEIGHTS_FILE, dtypeOf: () => dtype, index: new Set(files.values()).size > 1 };
}

/** The layout a checkpoint was loaded from: each tensor back to its file, in its dtype. */
export function layoutOf(checkpoint: CheckpointWeights, fallback: WeightLayout): WeightLayout {
  return {
    fileOf: (name) => checkpoint.fileOf(name) ?? fallback.fileOf(name),
    dtypeOf: (name) => {
      const dtype = checkpoint.dtypeOf(name);
      return dtype !== undefined && dtype in FLOAT_DTYPES ? (dtype as FloatDtype) : fallback.dtypeOf(name);
    },
    index: checkpoint.sharded,
  };
}

/** Loads every weight of `specs` from a checkpoint folder, one tensor at a time. */
export async function loadWeightSet(specs: readonly WeightSpec[], checkpoint: CheckpointWeights): Promise<WeightSet> {
  return WeightSet.load(specs, (spec) => checkpoint.tensorFor(spec));
}

/**
 * Writes the base weights into `dir` in `layout` (transposed back where the file stores the
 * transpose). With `merged`, each LoRA adapter is folded into its layer's weight as it is written.
 */
export async function writeWeights(dir: string, weights: WeightSet, layout: WeightLayout, options: { merged?: boolean } = {}): Promise<void> {
  const tensors: CheckpointTensor[] = weights.specs.map((spec) => ({
    name: spec.name,
    shape: fileShape(spec),
    dtype: layout.dtypeOf(spec.name),
    file: layout.fileOf(spec.name),
    values: async () => {
      const value = tf.tidy(() => {
        let t: tf.Tensor = weights.get(spec.name);
        const module = spec.name.endsWith('.weight') ? spec.name.slice(0, -'.weight'.length) : undefined;
        const adapter = options.merged && module !== undefined ? weights.lora.get(module) : undefined;
        if (adapter) t = tf.add(t, loraUpdate(adapter));
        return spec.transposedInFile ? tf.transpose(t) : tf.clone(t);
      });
      try {
        return (await value.data()) as Float32Array;
      } finally {
        value.dispose();
      }
    },
  }));
  await writeCheckpointTensors(dir, tensors, { index: layout.index });
}

/** True when `dir` holds model weights (not only an adapter). */
export function hasWeights(dir: string): boolean {
  return existsSync(join(dir, SINGLE_WEIGHTS_FILE)) || existsSync(join(dir, WEIGHTS_INDEX_FILE));
}

/** Assigns the base weights saved in `dir` to the variables of `weights` (names and shapes checked). */
export async function restoreWeights(dir: string, weights: WeightSet): Promise<void> {
  const checkpoint = await CheckpointWeights.open(dir);
  try {
    for (const spec of weights.specs) {
      const loaded = await checkpoint.tensorFor(spec);
      weights.get(spec.name).assign(loaded);
      loaded.dispose();
    }
  } catch (error) {
    if (CheckpointError.isInstance(error)) throw error;
    throw new CheckpointError(dir, (error as Error).message);
  } finally {
    await checkpoint.close();
  }
}

/** Resuming a run: the base weights from `dir` when it holds them, and the adapters when the set has any. */
export async function restoreModelWeights(dir: string, weights: WeightSet): Promise<void> {
  if (hasWeights(dir)) await restoreWeights(dir, weights);
  if (weights.lora.size > 0) await restoreAdapter(dir, weights);
}
