// A plain-loop float64 LLaVA-OneVision forward pass written from the architecture's definition —
// SigLIP's stride-p convolution read straight from the kernel [E, C, p, p], learned positions,
// pre-LN layers with tanh GELU, the hidden state after the selected layer, the GELU projector,
// then the packing (tile grid, unpadding, PyTorch's bilinear downsize, newlines) and the Qwen2
// decoder. Slow and obvious on purpose: the expectation the TensorFlow.js model is checked against.
import { type ReferenceConfig, type ReferenceWeights, matVec, referenceDecoderLogits, weight } from './qwen2-reference';
import { erf, layerNorm } from './qwen2-vl-reference';

export interface ReferenceSiglip {
  prefix: string;
  width: number;
  heads: number;
  mlpWidth: number;
  patchSize: number;
  imageSize: number;
  /** Encoder layers run before the hidden state the projector reads. */
  featureLayer: number;
  projector: string;
  newline: string;
  maxTiles: number;
}

/** One image as transformers' processor hands it over: pixel_values [tiles][C][S][S] flattened, image_sizes, and whether it was tiled. */
export interface ReferenceImage {
  pixels: Float32Array;
  tiles: number;
  original: { height: number; width: number };
  grid?: { rows: number; columns: number };
}

const gelu = (z: number) => 0.5 * z * (1 + erf(z / Math.SQRT2));
const tanhGelu = (z: number) => 0.5 * z * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (z + 0.044715 * z ** 3)));

/** The tower's hidden state [P²][E] for one tile. */
function tileFeatures(w: ReferenceWeights, v: ReferenceSiglip, pixels: Float32Array, tile: number): number[][] {
  const { width: E, patchSize: p, imageSize: S } = v;
  const P = Math.floor(S / p);
  const kernel = weight(w, `${v.prefix}.embeddings.patch_embedding.weight`);
  const kernelBias = weight(w, `${v.prefix}.embeddings.patch_embedding.bias`);
  const position = weight(w, `${v.prefix}.embeddings.position_embedding.weight`);
  const pixel = (c: number, y: number, x: number) => pixels[((tile * 3 + c) * S + y) * S + x] as number;
  let xs: number[][] = [];
  for (let py = 0; py < P; py++) {
    for (let px = 0; px < P; px++) {
      const out: number[] = [];
      for (let e = 0; e < E; e++) {
        let s = kernelBias[e] as number;
        for (let c = 0; c < 3; c++) for (let y = 0; y < p; y++) for (let x = 0; x < p; x++) s += (kernel[((e * 3 + c) * p + y) * p + x] as number) * pixel(c, py * p + y, px * p + x);
        out.push(s + (position[(py * P + px) * E + e] as number));
      }
      xs.push(out);
    }
  }
  const d = E / v.heads;
  for (let l = 0; l < v.featureLayer; l++) {
    const b = `${v.prefix}.encoder.layers.${l}`;
    const ln = (x: number[], name: string) => layerNorm(x, weight(w, `${b}.${name}.weight`), weight(w, `${b}.${name}.bias`), 1e-6);
    const h = xs.map((x) => ln(x, 'layer_norm1'));
    const proj = (name: string) => h.map((x) => matVec(weight(w, `${b}.self_attn.${name}.weight`), x, E, weight(w, `${b}.self_attn.${name}.bias`)));
    const [q, k, val] = [proj('q_proj'), proj('k_proj'), proj('v_proj')];
    const attended = xs.map((_, i) => {
      const out = new Array<number>(E).fill(0);
      for (let head = 0; head < v.heads; head++) {
        const scores = xs.map((__, j) => {
          let s = 0;
          for (let z = 0; z < d; z++) s += ((q[i] as number[])[head * d + z] as number) * ((k[j] as number[])[head * d + z] as number);
          return s / Math.sqrt(d);
        });
        const max = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - max));
        const sum = e.reduce((a, x) => a + x, 0);
        e.forEach((ej, j) => {
          for (let z = 0; z < d; z++) out[head * d + z] = (out[head * d + z] as number) + (ej / sum) * ((val[j] as number[])[head * d + z] as number);
        });
      }
      return matVec(weight(w, `${b}.self_attn.out_proj.weight`), out, E, weight(w, `${b}.self_attn.out_proj.bias`));
    });
    xs = xs.map((x, i) => x.map((value, z) => value + ((attended[i] as number[])[z] as number)));
    xs = xs.map((x) => {
      const f = matVec(weight(w, `${b}.mlp.fc1.weight`), ln(x, 'layer_norm2'), v.mlpWidth, weight(w, `${b}.mlp.fc1.bias`)).map(tanhGelu);
      const out = matVec(weight(w, `${b}.mlp.fc2.weight`), f, E, weight(w, `${b}.mlp.fc2.bias`));
      return x.map((value, z) => value + (out[z] as number));
    });
  }
  return xs;
}

/** PyTorch's `interpolate(mode="bilinear", align_corners=False)` of a map [R][C][H] to rows × columns. */
function bilinear(map: number[][][], rows: number, columns: number): number[][][] {
  const R = map.length;
  const C = (map[0] as number[][]).length;
  const source = (d: number, inSize: number, outSize: number) => {
    const s = Math.max(0, ((d + 0.5) * inSize) / outSize - 0.5);
    const i0 = Math.min(Math.floor(s), inSize - 1);
    return { i0, i1: i0 < inSize - 1 ? i0 + 1 : i0, l: s - i0 };
  };
  const out: number[][][] = [];
  for (let r = 0; r < rows; r++) {
    const y = source(r, R, rows);
    const row: number[][] = [];
    for (let c = 0; c < columns; c++) {
      const x = source(c, C, columns);
      const at = (i: number, j: number) => (map[i] as number[][])[j] as number[];
      row.push(at(y.i0, x.i0).map((_, z) => (1 - y.l) * ((1 - x.l) * (at(y.i0, x.i0)[z] as number) + x.l * (at(y.i0, x.i1)[z] as number)) + y.l * ((1 - x.l) * (at(y.i1, x.i0)[z] as number) + x.l * (at(y.i1, x.i1)[z] as number))));
    }
    out.push(row);
  }
  return out;
}

/** The rows one image places at its `<image>` tokens. */
export function referenceImageFeatures(w: ReferenceWeights, v: ReferenceSiglip, image: ReferenceImage, hidden: number): number[][] {
  const P = Math.floor(v.imageSize / v.patchSize);
  const project = (x: number[]) => {
    const h1 = matVec(weight(w, `${v.projector}.linear_1.weight`), x, hidden, weight(w, `${v.projector}.linear_1.bias`)).map(gelu);
    return matVec(weight(w, `${v.projector}.linear_2.weight`), h1, hidden, weight(w, `${v.projector}.linear_2.bias`));
  };
  const tiles = Array.from({ length: image.tiles }, (_, t) => tileFeatures(w, v, image.pixels, t).map(project));
  const newline = Array.from(weight(w, v.newline));
  const base = tiles[0] as number[][];
  if (!image.grid) return [...base, newline];
  // The grid of tile features as one map: feature (r, c) is tile (⌊r/P⌋, ⌊c/P⌋), patch (r mod P, c mod P).
  const { rows, columns } = image.grid;
  let map: number[][][] = Array.from({ length: rows * P }, (_, r) => Array.from({ length: columns * P }, (__, c) => ((tiles[1 + Math.floor(r / P) * columns + Math.floor(c / P)] as number[][])[(r % P) * P + (c % P)] as number[])));
  const [H, W] = [image.original.height, image.original.width];
  const [gh, gw] = [rows * P, columns * P];
  if (W / H > gw / gh) {
    const pad = Math.floor((gh - Math.trunc(Math.round(H * (gw / W) * 1e7) / 1e7)) / 2);
    map = map.slice(pad, gh - pad);
  } else {
    const pad = Math.floor((gw - Math.trunc(Math.round(W * (gh / H) * 1e7) / 1e7)) / 2);
    map = map.map((row) => row.slice(pad, gw - pad));
  }
  const [cr, cc] = [map.length, (map[0] as number[][]).length];
  const ratio = Math.sqrt((cr * cc) / (v.maxTiles * P * P));
  if (ratio > 1.1) map = bilinear(map, Math.floor(cr / ratio), Math.floor(cc / ratio));
  return [...base, ...map.flatMap((row) => [...row, newline])];
}

/** Logits [T][V] of a prompt whose `<image>` tokens take the images' features in order, positions 0..T−1. */
export function referenceLlavaOnevisionLogits(w: ReferenceWeights, text: ReferenceConfig, vision: ReferenceSiglip, ids: readonly number[], imageTokenId: number, images: ReferenceImage[]): number[][] {
  const features = images.flatMap((image) => referenceImageFeatures(w, vision, image, text.hidden));
  const embed = weight(w, `${text.prefix ?? 'model'}.embed_tokens.weight`);
  let k = 0;
  const embeds = ids.map((id) => (id === imageTokenId ? (features[k++] as number[]) : Array.from(embed.subarray(id * text.hidden, (id + 1) * text.hidden))));
  if (k !== features.length) throw new Error(`reference: ${k} image tokens for ${features.length} features`);
  return referenceDecoderLogits(w, text, embeds, ids.map((_, t) => [t, t, t]));
}
