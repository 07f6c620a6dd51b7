import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CheckpointError, CheckpointWeights, SafetensorsFile, assignShards, bf16ToF32, f16ToF32, f32ToBf16, f32ToF16, writeSafetensors } from '../src/tfjs/index';

const temp = (name: string) => join(mkdtempSync(join(tmpdir(), 'iad-r1-ckpt-')), name);

/** A safetensors file assembled by hand: header JSON, then the given little-endian bytes. */
function handMade(header: Record<string, unknown>, data: number[]): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length), 0);
  return Buffer.concat([prefix, json, Buffer.from(data)]);
}

describe('16-bit floats', () => {
  it('converts the bit patterns worked out by hand', () => {
    // bfloat16 is the upper half of a float32: 1 = 0x3f80, −2 = 0xc000; 0.1 = 0x3dcccccd rounds up to 0x3dcd.
    expect(bf16ToF32(0x3f80)).toBe(1);
    expect(bf16ToF32(0xc000)).toBe(-2);
    expect(f32ToBf16(1)).toBe(0x3f80);
    expect(f32ToBf16(0.1)).toBe(0x3dcd);
    // A tie (lower half exactly 0x8000) rounds to the even upper half: 0x3f808000 → 0x3f80, 0x3f818000 → 0x3f82.
    const fromBits = (bits: number) => new Float32Array(new Uint32Array([bits]).buffer)[0] as number;
    expect(f32ToBf16(fromBits(0x3f808000))).toBe(0x3f80);
    expect(f32ToBf16(fromBits(0x3f818000))).toBe(0x3f82);
    expect(Number.isNaN(bf16ToF32(f32ToBf16(Number.NaN)))).toBe(true);
    // IEEE half: 1 = 0x3c00, −2 = 0xc000, 65504 = 0x7bff (largest), 0.1 ≈ 0x2e66, 2^-24 = 0x0001 (smallest subnormal).
    expect(f16ToF32(0x3c00)).toBe(1);
    expect(f16ToF32(0xc000)).toBe(-2);
    expect(f16ToF32(0x7bff)).toBe(65504);
    expect(f16ToF32(0x0001)).toBe(2 ** -24);
    expect(f16ToF32(0x7c00)).toBe(Infinity);
    expect(f32ToF16(0.1)).toBe(0x2e66);
    expect(f32ToF16(65504)).toBe(0x7bff);
    // 65520 lies halfway between 65504 and the next step, 65536, which overflows: ties go to even (∞).
    expect(f32ToF16(65520)).toBe(0x7c00);
    expect(f32ToF16(65519)).toBe(0x7bff);
    // 2^-25 is halfway between 0 and 2^-24: ties to even give 0; 1.5 · 2^-25 is nearer 2^-24.
    expect(f32ToF16(2 ** -25)).toBe(0x0000);
    expect(f32ToF16(1.5 * 2 ** -25)).toBe(0x0001);
    expect(f32ToF16(-0)).toBe(0x8000);
  });

  it('round-trips every half-precision bit pattern (NaNs stay NaN)', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const value = f16ToF32(bits);
      if (Number.isNaN(value)) expect(Number.isNaN(f16ToF32(f32ToF16(value)))).toBe(true);
      else expect(f32ToF16(value), `0x${bits.toString(16)}`).toBe(bits);
    }
  });

  it('rounds float32 to the nearest half (ties to even) for values between two halves', () => {
    // Between consecutive halves h and h', values below the midpoint go to h, above it to h'.
    for (const bits of [0x0400, 0x1234, 0x3c00, 0x3c01, 0x5a5a, 0x7bfe]) {
      const [low, high] = [f16ToF32(bits), f16ToF32(bits + 1)];
      const mid = (low + high) / 2;
      expect(f32ToF16(Math.fround(low + (mid - low) * 0.5))).toBe(bits);
      expect(f32ToF16(Math.fround(mid + (high - mid) * 0.5))).toBe(bits + 1);
      expect(f32ToF16(mid)).toBe(bits % 2 === 0 ? bits : bits + 1);
    }
  });
});

describe('safetensors', () => {
  it('reads F32, F16 and BF16 tensors of a hand-made file as float32', async () => {
    const path = temp('hand.safetensors');
    // F32 [0.5, −1] · F16 [1, −2] · BF16 [1, −2], little-endian.
    writeFileSync(
      path,
      handMade(
        { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F16', shape: [2], data_offsets: [8, 12] }, c: { dtype: 'BF16', shape: [1, 2], data_offsets: [12, 16] }, __metadata__: { format: 'pt' } },
        [0, 0, 0, 0x3f, 0, 0, 0x80, 0xbf, 0x00, 0x3c, 0x00, 0xc0, 0x80, 0x3f, 0x00, 0xc0],
      ),
    );
    const file = await SafetensorsFile.open(path);
    expect(Array.from(await file.readFloat32('a'))).toEqual([0.5, -1]);
    expect(Array.from(await file.readFloat32('b'))).toEqual([1, -2]);
    expect(Array.from(await file.readFloat32('c'))).toEqual([1, -2]);
    expect(file.entries.get('c')?.shape).toEqual([1, 2]);
    expect(file.metadata).toEqual({ format: 'pt' });
    await file.close();
  });

  it('writes what it reads, in each dtype, with the data 8-byte aligned', async () => {
    const path = temp('written.safetensors');
    const values = new Float32Array([1, -2, 0.5, 3]);
    await writeSafetensors(path, [
      { name: 'x', shape: [4], dtype: 'F32', values: () => values },
      { name: 'y', shape: [2, 2], dtype: 'BF16', values: () => values },
      { name: 'z', shape: [4], dtype: 'F16', values: async () => values },
    ]);
    const bytes = readFileSync(path);
    expect((8 + Number(bytes.readBigUInt64LE(0))) % 8).toBe(0);
    const file = await SafetensorsFile.open(path);
    for (const name of ['x', 'y', 'z']) expect(Array.from(await file.readFloat32(name))).toEqual([1, -2, 0.5, 3]);
    // BF16 bytes of 1 and −2 as worked out above.
    const y = file.entries.get('y') as { begin: number };
    expect([...bytes.subarray(y.begin, y.begin + 4)]).toEqual([0x80, 0x3f, 0x00, 0xc0]);
    await file.close();
  });

  it('names the file and tensor of a bad header, a truncated file, a wrong size and an unsupported dtype', async () => {
    const bad = temp('bad.safetensors');
    writeFileSync(bad, Buffer.concat([Buffer.from([5, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{oops')]));
    await expect(SafetensorsFile.open(bad)).rejects.toThrow(`${bad}: the header is not valid JSON`);
    const truncated = temp('truncated.safetensors');
    writeFileSync(truncated, handMade({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, [0, 0, 0, 0]));
    await expect(SafetensorsFile.open(truncated)).rejects.toThrow(/truncated.safetensors: tensor w: truncated: its data ends at byte \d+, the file has \d+/);
    const sized = temp('sized.safetensors');
    writeFileSync(sized, handMade({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, [0, 0, 0, 0, 0, 0, 0, 0]));
    await expect(SafetensorsFile.open(sized)).rejects.toThrow(/tensor w: shape \[3\] of F32 needs 12 bytes, data_offsets give 8/);
    const ints = temp('ints.safetensors');
    writeFileSync(ints, handMade({ w: { dtype: 'I8', shape: [2], data_offsets: [0, 2] } }, [1, 2]));
    const file = await SafetensorsFile.open(ints);
    await expect(file.readFloat32('w')).rejects.toThrow(/ints.safetensors: tensor w: unsupported dtype I8/);
    await expect(file.readFloat32('v')).rejects.toThrow(CheckpointError);
    await file.close();
  });
});

describe('checkpoint folders', () => {
  it('reads a sharded folder through its index and refuses an index that places a tensor in the wrong file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'iad-r1-shards-'));
    await writeSafetensors(join(dir, 'model-00001-of-00002.safetensors'), [{ name: 'a', shape: [1], dtype: 'F32', values: () => new Float32Array([1]) }]);
    await writeSafetensors(join(dir, 'model-00002-of-00002.safetensors'), [{ name: 'b', shape: [1], dtype: 'BF16', values: () => new Float32Array([2]) }]);
    const index = { metadata: { total_size: 6 }, weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' } };
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify(index));
    const weights = await CheckpointWeights.open(dir);
    expect(weights.sharded).toBe(true);
    expect(Array.from(await weights.readFloat32('b'))).toEqual([2]);
    expect(weights.fileOf('b')).toBe('model-00002-of-00002.safetensors');
    expect(weights.dtypeOf('b')).toBe('BF16');
    await weights.close();
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ ...index, weight_map: { ...index.weight_map, b: 'model-00001-of-00002.safetensors' } }));
    await expect(CheckpointWeights.open(dir)).rejects.toThrow(/model-00001-of-00002\.safetensors: tensor b: the index places tensor b here, but the file does not hold it/);
    const empty = mkdtempSync(join(tmpdir(), 'iad-r1-empty-'));
    await expect(CheckpointWeights.open(empty)).rejects.toThrow(/no weights: neither model\.safetensors nor model\.safetensors\.index\.json/);
    writeFileSync(join(empty, 'pytorch_model.bin'), '');
    await expect(CheckpointWeights.open(empty)).rejects.toThrow(/PyTorch \.bin weights only/);
  });

  it('splits a fresh save into shards of at most the given size, as transformers names them', () => {
    const tensors = [{ name: 'a', bytes: 40 }, { name: 'b', bytes: 40 }, { name: 'c', bytes: 30 }, { name: 'd', bytes: 200 }];
    expect([...assignShards(tensors, 1000).values()]).toEqual(['model.safetensors', 'model.safetensors', 'model.safetensors', 'model.safetensors']);
    // 40 + 40 fit in 100; 30 more would not; d (200) alone exceeds it and gets a shard of its own.
    expect(Object.fromEntries(assignShards(tensors, 100))).toEqual({ a: 'model-00001-of-00003.safetensors', b: 'model-00001-of-00003.safetensors', c: 'model-00002-of-00003.safetensors', d: 'model-00003-of-00003.safetensors' });
  });
});
