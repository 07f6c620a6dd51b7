import { existsSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { tf } from '../tf';
import type { WeightSpec } from '../nn/weights';
import { CheckpointError } from './checkpoint-error';
import { FLOAT_DTYPES, type FloatDtype } from './dtype';
import { SafetensorsFile, type TensorEntry, type TensorToWrite, writeSafetensors } from './safetensors-file';

/** Weights of an unsharded checkpoint. */
export const SINGLE_WEIGHTS_FILE = 'model.safetensors';
/** The index of a sharded checkpoint: which file holds each tensor. */
export const WEIGHTS_INDEX_FILE = 'model.safetensors.index.json';

const indexSchema = z.object({ metadata: z.record(z.string(), z.unknown()).optional(), weight_map: z.record(z.string(), z.string()) });

/**
 * The weights of a checkpoint folder, sharded (`model.safetensors.index.json` and its files) or
 * not (`model.safetensors`), read tensor by tensor. Remembers where each tensor was and its dtype,
 * so a model saves back in the same layout.
 *
 * @example
 * const weights = await CheckpointWeights.open('Qwen2.5-0.5B-Instruct');
 * const embed = await weights.readFloat32('model.embed_tokens.weight');
 * await weights.close();
 */
export class CheckpointWeights {
  private constructor(
    readonly dir: string,
    private readonly files: Map<string, SafetensorsFile>,
    readonly entries: ReadonlyMap<string, TensorEntry>,
    /** True when the folder had an index (sharded layout). */
    readonly sharded: boolean,
  ) {}

  static async open(dir: string): Promise<CheckpointWeights> {
    const indexPath = join(dir, WEIGHTS_INDEX_FILE);
    let fileNames: string[];
    let weightMap: Record<string, string> | undefined;
    if (existsSync(indexPath)) {
      let parsed: z.infer<typeof indexSchema>;
      try {
        parsed = indexSchema.parse(JSON.parse(await readFile(indexPath, 'utf8')));
      } catch (error) {
        throw new CheckpointError(indexPath, `not a safetensors index (${(error as Error).message.split('\n')[0]})`);
      }
      weightMap = parsed.weight_map;
      fileNames = [...new Set(Object.values(weightMap))];
      // Shards live beside the index; a path elsewhere would read files outside the checkpoint.
      const outside = fileNames.find((name) => name !== basename(name) || name === '..' || !name.endsWith('.safetensors'));
      if (outside !== undefined) throw new CheckpointError(indexPath, `weight_map names ${JSON.stringify(outside)}; shards must be .safetensors files in the same folder`);
    } else if (existsSync(join(dir, SINGLE_WEIGHTS_FILE))) {
      fileNames = [SINGLE_WEIGHTS_FILE];
    } else if (existsSync(join(dir, 'pytorch_model.bin')) || existsSync(join(dir, 'pytorch_model.bin.index.json'))) {
      throw new CheckpointError(dir, 'has PyTorch .bin weights only; save them as safetensors first (transformers: model.save_pretrained(dir, safe_serialization=True))');
    } else {
      throw new CheckpointError(dir, `no weights: neither ${SINGLE_WEIGHTS_FILE} nor ${WEIGHTS_INDEX_FILE}`);
    }
    const files = new Map<string, SafetensorsFile>();
    const entries = new Map<string, TensorEntry>();
    try {
      for (const name of fileNames) {
        const file = await SafetensorsFile.open(join(dir, name));
        files.set(name, file);
        for (const entry of file.entries.values()) entries.set(entry.name, entry);
      }
    } catch (error) {
      for (const f of files.values()) await f.close();
      throw error;
    }
    if (weightMap) {
      for (const [tensor, file] of Object.entries(weightMap)) {
        if (!files.get(file)?.entries.has(tensor)) throw new CheckpointError(join(dir, file), `the index places tensor ${tensor} here, but the file does not hold it`, tensor);
      }
    }
    return new CheckpointWeights(dir, files, entries, weightMap !== undefined);
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** The file (name within the folder) that holds a tensor. */
  fileOf(name: string): string | undefined {
    const entry = this.entries.get(name);
    return entry ? basename(entry.file) : undefined;
  }

  /** A tensor's dtype in the checkpoint. */
  dtypeOf(name: string): string | undefined {
    return this.entries.get(name)?.dtype;
  }

  async readFloat32(name: string): Promise<Float32Array> {
    const entry = this.entries.get(name);
    if (!entry) throw new CheckpointError(this.dir, 'missing', name);
    return (this.files.get(basename(entry.file)) as SafetensorsFile).readFloat32(name);
  }

  /**
   * The tensor for a weight spec, in the spec's shape (transposed when the checkpoint stores the
   * transpose); names the file and the tensor when it is missing or has another shape.
   */
  async tensorFor(spec: WeightSpec, nameInFile = spec.name): Promise<tf.Tensor> {
    const entry = this.entries.get(nameInFile);
    if (!entry) throw new CheckpointError(this.dir, `missing (the model needs [${fileShape(spec)}])`, nameInFile);
    const expected = fileShape(spec);
    if (entry.shape.join(',') !== expected.join(',')) throw new CheckpointError(entry.file, `has shape [${entry.shape}] but the config needs [${expected}]`, nameInFile);
    const values = await this.readFloat32(nameInFile);
    return tf.tidy(() => {
      const stored = tf.tensor(values, spec.transposedInFile ? [...spec.shape].reverse() : spec.shape);
      return spec.transposedInFile ? tf.transpose(stored) : stored;
    });
  }

  async close(): Promise<void> {
    for (const f of this.files.values()) await f.close();
  }
}

/** The shape a spec's tensor has in a checkpoint file. */
export function fileShape(spec: WeightSpec): number[] {
  return spec.fileShape ?? (spec.transposedInFile ? [...spec.shape].reverse() : spec.shape);
}

/** A tensor to save, and the file of the folder it goes to. */
export interface CheckpointTensor extends TensorToWrite {
  file: string;
}

/**
 * Writes tensors into a checkpoint folder, grouped by their `file`; with more than one file (or
 * `index: true`) also `model.safetensors.index.json` with `total_size` and the weight map, as
 * transformers writes it. Each file is written atomically; the index last.
 */
export async function writeCheckpointTensors(dir: string, tensors: readonly CheckpointTensor[], options: { index?: boolean } = {}): Promise<void> {
  const byFile = new Map<string, CheckpointTensor[]>();
  for (const t of tensors) byFile.set(t.file, [...(byFile.get(t.file) ?? []), t]);
  for (const [file, group] of byFile) await writeSafetensors(join(dir, file), group, { format: 'pt' });
  const indexPath = join(dir, WEIGHTS_INDEX_FILE);
  if (byFile.size > 1 || options.index) {
    const totalSize = tensors.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1) * FLOAT_DTYPES[t.dtype], 0);
    const weightMap = Object.fromEntries([...tensors].sort((a, b) => (a.name < b.name ? -1 : 1)).map((t) => [t.name, t.file]));
    await writeFile(`${indexPath}.tmp`, `${JSON.stringify({ metadata: { total_size: totalSize }, weight_map: weightMap }, null, 2)}\n`);
    await rename(`${indexPath}.tmp`, indexPath);
  } else {
    // An index from an earlier, sharded save would point at files this save did not write.
    await rm(indexPath, { force: true });
  }
}

/** `model-00001-of-00003.safetensors`, transformers' shard names. */
export function shardName(index: number, count: number): string {
  const pad = (n: number) => String(n).padStart(5, '0');
  return `model-${pad(index + 1)}-of-${pad(count)}.safetensors`;
}

/** Default largest shard, as transformers' `max_shard_size` default. */
export const DEFAULT_MAX_SHARD_BYTES = 5 * 1024 ** 3;

/**
 * Assigns tensors to files for a fresh save: one `model.safetensors` while the total fits in
 * `maxShardBytes`, else consecutive shards of at most that size (a larger tensor gets its own).
 */
export function assignShards(tensors: ReadonlyArray<{ name: string; bytes: number }>, maxShardBytes = DEFAULT_MAX_SHARD_BYTES): Map<string, string> {
  const total = tensors.reduce((n, t) => n + t.bytes, 0);
  if (total <= maxShardBytes) return new Map(tensors.map((t) => [t.name, SINGLE_WEIGHTS_FILE]));
  const shards: string[][] = [[]];
  let size = 0;
  for (const t of tensors) {
    if (size > 0 && size + t.bytes > maxShardBytes) {
      shards.push([]);
      size = 0;
    }
    (shards[shards.length - 1] as string[]).push(t.name);
    size += t.bytes;
  }
  return new Map(shards.flatMap((names, i) => names.map((name) => [name, shardName(i, shards.length)] as [string, string])));
}

/** Bytes of a tensor of `shape` in `dtype`. */
export function tensorBytes(shape: readonly number[], dtype: FloatDtype): number {
  return shape.reduce((a, b) => a * b, 1) * FLOAT_DTYPES[dtype];
}
