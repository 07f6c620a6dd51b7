import { readFile } from 'node:fs/promises';

/** A named float32 tensor for (de)serialisation. */
export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

/**
 * Encodes float32 tensors in the safetensors format: an 8-byte little-endian header length, a JSON
 * header of dtype, shape and byte offsets per tensor, then the raw little-endian data.
 */
export function encodeSafetensors(tensors: readonly NamedTensor[], metadata: Record<string, string> = {}): Buffer {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    const bytes = t.data.length * 4;
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const headerBytes = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + headerBytes.length + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  headerBytes.copy(out, 8);
  let at = 8 + headerBytes.length;
  for (const t of tensors) {
    for (let i = 0; i < t.data.length; i++) out.writeFloatLE(t.data[i] as number, at + i * 4);
    at += t.data.length * 4;
  }
  return out;
}

/** Reads a safetensors file of F32 tensors; names the file on a bad header. */
export async function readSafetensors(path: string): Promise<{ tensors: Map<string, NamedTensor>; metadata: Record<string, string> }> {
  const bytes = await readFile(path);
  const length = Number(bytes.readBigUInt64LE(0));
  if (length <= 0 || 8 + length > bytes.length) throw new Error(`${path}: not a safetensors file (header length ${length})`);
  const header = JSON.parse(bytes.subarray(8, 8 + length).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const base = 8 + length;
  const tensors = new Map<string, NamedTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = entry as unknown as Record<string, string>;
      continue;
    }
    if (entry.dtype !== 'F32') throw new Error(`${path}: tensor ${name} has dtype ${entry.dtype}; only F32 is supported`);
    const [start, end] = entry.data_offsets;
    const data = new Float32Array((end - start) / 4);
    for (let i = 0; i < data.length; i++) data[i] = bytes.readFloatLE(base + start + i * 4);
    tensors.set(name, { name, shape: entry.shape, data });
  }
  return { tensors, metadata };
}
