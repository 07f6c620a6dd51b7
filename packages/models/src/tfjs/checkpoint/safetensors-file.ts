import { type FileHandle, open, rename, rm, stat } from 'node:fs/promises';
import { CheckpointError } from './checkpoint-error';
import { FLOAT_DTYPES, type FloatDtype, decodeFloats, encodeFloats } from './dtype';

/** Where one tensor lies in a safetensors file. */
export interface TensorEntry {
  name: string;
  dtype: string;
  shape: number[];
  file: string;
  /** Absolute byte range in the file. */
  begin: number;
  end: number;
}

// The format caps the header at 100 MB; a larger length means a file that is not safetensors.
const MAX_HEADER = 100_000_000;

/**
 * Set to `1` to load weights that hold NaN or ±Infinity. By default a tensor with one is refused:
 * such a model prints null logits and samples garbage, which is worse than an error at load. An
 * environment variable rather than an option, so data-parallel worker threads see it too.
 */
export const ALLOW_NON_FINITE_ENV = 'IAD_R1_ALLOW_NON_FINITE';

/** Bytes per element of every safetensors dtype (only the float ones are read as weights). */
const DTYPE_BYTES: Record<string, number> = { ...FLOAT_DTYPES, I64: 8, I32: 4, I16: 2, I8: 1, U64: 8, U32: 4, U16: 2, U8: 1, BOOL: 1, F8_E4M3: 1, F8_E5M2: 1 };

function firstNonFinite(values: Float32Array): number {
  for (let i = 0; i < values.length; i++) {
    // x - x is NaN exactly for NaN and ±Infinity, and cheaper than Number.isFinite in this loop.
    const v = values[i] as number;
    if (v - v !== 0) return i;
  }
  return -1;
}

/** Refuses what is not a regular file (a FIFO would block the open forever, a folder fails later). */
export async function requireRegularFile(path: string): Promise<void> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (error) {
    throw new CheckpointError(path, (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message);
  }
  if (!info.isFile()) throw new CheckpointError(path, `is not a regular file (${info.isDirectory() ? 'a folder' : info.isFIFO() ? 'a FIFO' : 'a device or socket'})`);
}

const isIndex = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * Checks a parsed header as the reference implementation does: every entry an object with a known
 * dtype, a shape of whole numbers and two whole-number offsets; each tensor's bytes equal to its
 * shape times its dtype's size; the tensors laid end to end from the start of the data with no
 * gap or overlap, the last ending where the file ends. Names the file and the tensor.
 */
function parseHeader(path: string, header: unknown, base: number, size: number): { entries: Map<string, TensorEntry>; metadata: Record<string, string> } {
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw new CheckpointError(path, 'the header is not a JSON object');
  const entries = new Map<string, TensorEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (raw === null) continue;
      if (typeof raw !== 'object' || Array.isArray(raw) || !Object.values(raw).every((v) => typeof v === 'string')) throw new CheckpointError(path, '__metadata__ must be an object of strings');
      metadata = raw as Record<string, string>;
      continue;
    }
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new CheckpointError(path, 'the header entry is not an object with dtype, shape and data_offsets', name);
    const entry = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const offsets = entry.data_offsets;
    if (typeof entry.dtype !== 'string' || !Array.isArray(entry.shape) || !Array.isArray(offsets) || offsets.length !== 2) {
      throw new CheckpointError(path, 'the header entry needs dtype, shape and data_offsets', name);
    }
    const itemSize = DTYPE_BYTES[entry.dtype];
    if (itemSize === undefined) throw new CheckpointError(path, `unknown dtype ${JSON.stringify(entry.dtype)}`, name);
    if (!entry.shape.every(isIndex)) throw new CheckpointError(path, `shape ${JSON.stringify(entry.shape)} is not a list of whole numbers ≥ 0`, name);
    if (!offsets.every(isIndex)) throw new CheckpointError(path, `data_offsets ${JSON.stringify(offsets)} are not two whole numbers ≥ 0`, name);
    const [begin, end] = offsets as [number, number];
    if (end < begin) throw new CheckpointError(path, `data_offsets [${begin}, ${end}] end before they begin`, name);
    if (base + end > size) throw new CheckpointError(path, `truncated: its data ends at byte ${base + end}, the file has ${size}`, name);
    const shape = entry.shape as number[];
    const elements = shape.reduce((a, b) => a * b, 1);
    if (end - begin !== elements * itemSize) {
      throw new CheckpointError(path, `shape [${shape}] of ${entry.dtype} needs ${elements * itemSize} bytes, data_offsets give ${end - begin}`, name);
    }
    entries.set(name, { name, dtype: entry.dtype, shape, file: path, begin: base + begin, end: base + end });
  }
  // End to end: overlapping ranges would read one tensor's bytes as another's.
  let next = base;
  for (const entry of [...entries.values()].sort((a, b) => a.begin - b.begin || a.end - b.end)) {
    if (entry.begin !== next) {
      throw new CheckpointError(path, entry.begin < next ? `data_offsets overlap the tensor before it (it starts at ${entry.begin - base}, the one before ends at ${next - base})` : `data_offsets leave a gap of ${entry.begin - next} bytes before it`, entry.name);
    }
    next = entry.end;
  }
  if (next !== size) throw new CheckpointError(path, `the tensors end at byte ${next}, but the file has ${size} bytes`);
  return { entries, metadata };
}

/**
 * One safetensors file opened for reading tensor by tensor: the header is parsed up front, each
 * tensor's bytes are read when asked (a 15 GB shard never sits in one buffer), 16-bit floats are
 * widened to float32. Errors name the file and the tensor.
 *
 * @example
 * const file = await SafetensorsFile.open('model.safetensors');
 * const weight = await file.readFloat32('model.embed_tokens.weight');
 * await file.close();
 */
export class SafetensorsFile {
  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    readonly entries: ReadonlyMap<string, TensorEntry>,
    readonly metadata: Record<string, string>,
  ) {}

  static async open(path: string): Promise<SafetensorsFile> {
    await requireRegularFile(path);
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      throw new CheckpointError(path, (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message);
    }
    try {
      const size = (await handle.stat()).size;
      const prefix = Buffer.alloc(8);
      if (size < 8 || (await handle.read(prefix, 0, 8, 0)).bytesRead < 8) throw new CheckpointError(path, `not a safetensors file (${size} bytes)`);
      const length = Number(prefix.readBigUInt64LE(0));
      if (length <= 1 || length > MAX_HEADER) throw new CheckpointError(path, `not a safetensors file (header length ${length})`);
      if (8 + length > size) throw new CheckpointError(path, `truncated: the header needs ${8 + length} bytes, the file has ${size}`);
      const headerBytes = Buffer.alloc(length);
      await handle.read(headerBytes, 0, length, 8);
      let header: unknown;
      try {
        header = JSON.parse(headerBytes.toString('utf8'));
      } catch {
        throw new CheckpointError(path, 'the header is not valid JSON');
      }
      const { entries, metadata } = parseHeader(path, header, 8 + length, size);
      return new SafetensorsFile(path, handle, entries, metadata);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** A tensor's values as float32 (F32, F16, BF16 and F64 are read). */
  async readFloat32(name: string): Promise<Float32Array> {
    const entry = this.entries.get(name);
    if (!entry) throw new CheckpointError(this.path, 'missing', name);
    if (!(entry.dtype in FLOAT_DTYPES)) throw new CheckpointError(this.path, `unsupported dtype ${entry.dtype} (F32, F16, BF16 and F64 are read)`, name);
    const bytes = new Uint8Array(entry.end - entry.begin);
    let done = 0;
    while (done < bytes.length) {
      const { bytesRead } = await this.handle.read(bytes, done, bytes.length - done, entry.begin + done);
      if (bytesRead === 0) throw new CheckpointError(this.path, `truncated: read ${done} of ${bytes.length} bytes`, name);
      done += bytesRead;
    }
    const values = decodeFloats(bytes, entry.dtype as FloatDtype);
    if (process.env[ALLOW_NON_FINITE_ENV] !== '1') {
      const bad = firstNonFinite(values);
      if (bad >= 0) {
        throw new CheckpointError(this.path, `holds a non-finite value (${values[bad]}) at element ${bad}: the weights are corrupt or overflowed float32; set ${ALLOW_NON_FINITE_ENV}=1 (--allow-non-finite) to load them anyway`, name);
      }
    }
    return values;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** A tensor to write: its values are asked for only when its turn comes. */
export interface TensorToWrite {
  name: string;
  shape: number[];
  dtype: FloatDtype;
  values: () => Promise<Float32Array> | Float32Array;
}

/**
 * Writes a safetensors file tensor by tensor (each converted to its dtype as it is written), into
 * `path.tmp` and then renamed over `path`, so a crash never leaves a half-written file in place.
 *
 * @example
 * await writeSafetensors('model.safetensors', [{ name: 'w', shape: [2], dtype: 'BF16', values: () => new Float32Array([1, 2]) }]);
 */
export async function writeSafetensors(path: string, tensors: readonly TensorToWrite[], metadata: Record<string, string> = {}): Promise<number> {
  const header: Record<string, unknown> = Object.keys(metadata).length > 0 ? { __metadata__: metadata } : {};
  let offset = 0;
  for (const t of tensors) {
    const bytes = t.shape.reduce((a, b) => a * b, 1) * FLOAT_DTYPES[t.dtype];
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  // Data starts on an 8-byte boundary, as the reference writer pads it.
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  const temporary = `${path}.tmp`;
  const handle = await open(temporary, 'w');
  try {
    await handle.write(prefix);
    await handle.write(headerBytes);
    for (const t of tensors) {
      const values = await t.values();
      const expected = t.shape.reduce((a, b) => a * b, 1);
      if (values.length !== expected) throw new CheckpointError(path, `has ${values.length} values for shape [${t.shape}]`, t.name);
      await handle.write(encodeFloats(values, t.dtype));
    }
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temporary, { force: true });
    throw error;
  }
  await handle.close();
  await rename(temporary, path);
  return (await stat(path)).size;
}
