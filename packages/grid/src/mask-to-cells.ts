import { z } from 'zod';
import { type Cell, DEFAULT_GRID_SIZE, assertGridSize, rowColToCell } from './cell';
import { cellToText } from './cell-to-text';
import { GridError } from './grid-error';

/** A raster mask: `channels` interleaved bytes per pixel, row-major; the first channel is read. */
export interface Mask {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray;
  /** Bytes per pixel; default 1. A mask decoded as RGB(A) can be passed as is. */
  channels?: number;
}

/** Validates a mask that arrives from outside (a decoder, a file, a request). */
export const maskSchema = z
  .object({
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    data: z.union([z.instanceof(Uint8Array), z.instanceof(Uint8ClampedArray)]),
    channels: z.number().int().positive().optional(),
  })
  .refine((m) => m.data.length === m.width * m.height * (m.channels ?? 1), {
    message: 'data length must equal width × height × channels',
    path: ['data'],
  });

/** Options of {@link maskToCells}. */
export interface MaskToCellsOptions {
  /** Side of the grid; default 3. */
  gridSize?: number;
  /** A pixel is part of the defect when its value is strictly above this; default 127. */
  threshold?: number;
  /** A cell counts as covered when it holds at least this many defect pixels; default 1. */
  minArea?: number;
}

/** Where a defect lies on the grid. */
export interface DefectPlacement {
  /** Every cell holding at least `minArea` defect pixels, ascending. */
  cells: Cell[];
  /** Cell of the centroid of the largest 8-connected defect component; null for an empty mask. */
  centroidCell: Cell | null;
  /** Canonical phrase of `centroidCell` (see `cellToText`); null for an empty mask. */
  text: string | null;
  /** Number of defect pixels. */
  area: number;
  /** Number of 8-connected defect components. */
  components: number;
  gridSize: number;
}

/**
 * Places a defect mask on an N×N grid: which cells it covers and where its main blob sits.
 * The main blob is the largest 8-connected component, so a few stray pixels do not move the
 * location text.
 *
 * @example
 * const data = new Uint8Array(9 * 9);
 * data[0] = 255; // one defect pixel in the top-left corner
 * maskToCells({ width: 9, height: 9, data }).text; // 'top left'
 */
export function maskToCells(mask: Mask, options: MaskToCellsOptions = {}): DefectPlacement {
  const gridSize = options.gridSize ?? DEFAULT_GRID_SIZE;
  const threshold = options.threshold ?? 127;
  const minArea = options.minArea ?? 1;
  assertGridSize(gridSize);
  const { width, height } = mask;
  const channels = mask.channels ?? 1;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new GridError(`mask width and height must be positive whole numbers, got ${width}×${height}`, mask);
  }
  if (mask.data.length !== width * height * channels) {
    throw new GridError(
      `mask data has ${mask.data.length} bytes, expected width × height × channels = ${width * height * channels}`,
      mask,
    );
  }

  const defect = new Uint8Array(width * height);
  const perCell = new Uint32Array(gridSize * gridSize);
  let area = 0;
  for (let y = 0; y < height; y++) {
    // Pixel centres (x + 0.5) decide the cell, the same rule the centroid uses below, so a
    // one-pixel defect's centroid cell is always among its covered cells.
    const row = Math.floor(((2 * y + 1) * gridSize) / (2 * height));
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if ((mask.data[i * channels] as number) > threshold) {
        defect[i] = 1;
        area++;
        const col = Math.floor(((2 * x + 1) * gridSize) / (2 * width));
        perCell[row * gridSize + col] = (perCell[row * gridSize + col] as number) + 1;
      }
    }
  }

  const cells: Cell[] = [];
  perCell.forEach((count, index) => {
    if (count >= minArea && count > 0) cells.push(index + 1);
  });

  const largest = largestComponent(defect, width, height);
  if (largest.size === 0) {
    return { cells, centroidCell: null, text: null, area, components: 0, gridSize };
  }
  // Pixel centres sit at +0.5; the cell is ⌊coord · N / side⌋.
  const cx = largest.sumX / largest.size + 0.5;
  const cy = largest.sumY / largest.size + 0.5;
  const col = Math.min(gridSize - 1, Math.floor((cx * gridSize) / width));
  const row = Math.min(gridSize - 1, Math.floor((cy * gridSize) / height));
  const centroidCell = rowColToCell({ row, col }, gridSize);
  return {
    cells,
    centroidCell,
    text: cellToText(centroidCell, gridSize),
    area,
    components: largest.count,
    gridSize,
  };
}

interface ComponentScan {
  size: number;
  sumX: number;
  sumY: number;
  count: number;
}

// Iterative flood fill with an explicit stack: masks can be megapixels, recursion would overflow.
function largestComponent(defect: Uint8Array, width: number, height: number): ComponentScan {
  const seen = new Uint8Array(defect.length);
  const stack = new Int32Array(defect.length);
  let best = { size: 0, sumX: 0, sumY: 0 };
  let count = 0;
  for (let start = 0; start < defect.length; start++) {
    if (!defect[start] || seen[start]) continue;
    count++;
    let top = 0;
    stack[top++] = start;
    seen[start] = 1;
    let size = 0;
    let sumX = 0;
    let sumY = 0;
    while (top > 0) {
      const i = stack[--top] as number;
      const x = i % width;
      const y = (i - x) / width;
      size++;
      sumX += x;
      sumY += y;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if ((dx === 0 && dy === 0) || nx < 0 || nx >= width) continue;
          const j = ny * width + nx;
          if (defect[j] && !seen[j]) {
            seen[j] = 1;
            stack[top++] = j;
          }
        }
      }
    }
    if (size > best.size) best = { size, sumX, sumY };
  }
  return { ...best, count };
}
