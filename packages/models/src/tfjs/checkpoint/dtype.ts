// Conversions between float32 and the 16-bit float formats of checkpoints, on raw bits. Values are
// computed in float32 here; 16-bit tensors are widened on load and rounded back on save.

/** Element types of safetensors files this package reads, with their byte sizes. */
export const FLOAT_DTYPES = { F32: 4, F16: 2, BF16: 2, F64: 8 } as const;
export type FloatDtype = keyof typeof FLOAT_DTYPES;

/**
 * The dtype a config.json says its weights are stored in (`torch_dtype`, or newer transformers'
 * `dtype`; `bfloat16` → BF16), float32 when it names none this package writes.
 */
export function storedDtypeOf(config: Record<string, unknown>): FloatDtype {
  return dtypeOfTorchName(config.torch_dtype ?? config.dtype) ?? 'F32';
}

function dtypeOfTorchName(name: unknown): FloatDtype | undefined {
  switch (name) {
    case 'float32':
      return 'F32';
    case 'float16':
      return 'F16';
    case 'bfloat16':
      return 'BF16';
    default:
      return undefined;
  }
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** bfloat16 bits → float32: the upper half of a float32. */
export function bf16ToF32(bits: number): number {
  u32[0] = (bits & 0xffff) << 16;
  return f32[0] as number;
}

/** float32 → bfloat16 bits, rounding to nearest, ties to even; NaN stays a (quiet) NaN. */
export function f32ToBf16(value: number): number {
  f32[0] = value;
  const u = u32[0] as number;
  if ((u & 0x7fffffff) > 0x7f800000) return ((u >>> 16) | 0x0040) & 0xffff;
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

/** IEEE half-precision bits → float32 (subnormals, infinities and NaN included). */
export function f16ToF32(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** float32 → IEEE half-precision bits, rounding to nearest, ties to even; overflow gives ±∞. */
export function f32ToF16(value: number): number {
  f32[0] = value;
  const u = u32[0] as number;
  const sign = (u >>> 16) & 0x8000;
  const exponent = (u >>> 23) & 0xff;
  let mantissa = u & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half (or zero): shift the implicit bit in, then round the dropped bits.
    if (e < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mantissa & ((1 << shift) - 1);
    let result = mantissa >>> shift;
    if (rest > half || (rest === half && result & 1)) result++;
    return sign | result;
  }
  const rest = mantissa & 0x1fff;
  let result = (e << 10) | (mantissa >>> 13);
  // A carry out of the mantissa correctly bumps the exponent (up to ∞).
  if (rest > 0x1000 || (rest === 0x1000 && result & 1)) result++;
  return sign | result;
}

// Tensor bytes are little-endian; on a little-endian host (every platform Node ships for today)
// typed-array views read them directly, which is many times faster than a DataView per element.
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A copy of `bytes` in a fresh, aligned buffer. */
function aligned(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer;
}

/** Decodes little-endian tensor bytes of `dtype` into float32. */
export function decodeFloats(bytes: Uint8Array, dtype: FloatDtype): Float32Array {
  const count = bytes.byteLength / FLOAT_DTYPES[dtype];
  const out = new Float32Array(count);
  if (littleEndian) {
    if (dtype === 'F32') return new Float32Array(aligned(bytes));
    if (dtype === 'F64') {
      out.set(new Float64Array(aligned(bytes)));
      return out;
    }
    const halves = new Uint16Array(aligned(bytes));
    if (dtype === 'BF16') {
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) bits[i] = (halves[i] as number) << 16;
    } else for (let i = 0; i < count; i++) out[i] = f16ToF32(halves[i] as number);
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < count; i++) {
    if (dtype === 'F32') out[i] = view.getFloat32(i * 4, true);
    else if (dtype === 'F64') out[i] = view.getFloat64(i * 8, true);
    else out[i] = dtype === 'BF16' ? bf16ToF32(view.getUint16(i * 2, true)) : f16ToF32(view.getUint16(i * 2, true));
  }
  return out;
}

/** Encodes float32 values as little-endian bytes of `dtype`. */
export function encodeFloats(values: Float32Array, dtype: FloatDtype): Uint8Array {
  if (littleEndian) {
    if (dtype === 'F32') return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    if (dtype === 'F64') return new Uint8Array(Float64Array.from(values).buffer);
    const halves = new Uint16Array(values.length);
    const convert = dtype === 'BF16' ? f32ToBf16 : f32ToF16;
    for (let i = 0; i < values.length; i++) halves[i] = convert(values[i] as number);
    return new Uint8Array(halves.buffer);
  }
  const out = new Uint8Array(values.length * FLOAT_DTYPES[dtype]);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (dtype === 'F32') view.setFloat32(i * 4, v, true);
    else if (dtype === 'F64') view.setFloat64(i * 8, v, true);
    else view.setUint16(i * 2, dtype === 'BF16' ? f32ToBf16(v) : f32ToF16(v), true);
  }
  return out;
}
