import { SafetensorsFile } from './safetensors-file';

/** A named float32 tensor for (de)serialisation. */
export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

/**
 * Encodes float32 tensors in the safetensors format in memory: an 8-byte little-endian header
 * length, a JSON header of dtype, shape and byte offsets per tensor, then the raw data. For small
 * files (optimiser state); models are written tensor by tensor with `writeSafetensors`.
 *
 * @example
 * const bytes = encodeSafetensors([{ name: 'm/w', shape: [2], data: new Float32Array([1, 2]) }], { step: '3' });
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
    Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).copy(out, at);
    at += t.data.length * 4;
  }
  return out;
}

/** Reads every tensor of a safetensors file as float32, with its metadata; names the file on a bad header. */
export async function readSafetensors(path: string): Promise<{ tensors: Map<string, NamedTensor>; metadata: Record<string, string> }> {
  const file = await SafetensorsFile.open(path);
  try {
    const tensors = new Map<string, NamedTensor>();
    for (const entry of file.entries.values()) tensors.set(entry.name, { name: entry.name, shape: entry.shape, data: await file.readFloat32(entry.name) });
    return { tensors, metadata: file.metadata };
  } finally {
    await file.close();
  }
}
