import { z } from 'zod';
import { type Cell, DEFAULT_GRID_SIZE, assertGridSize, rowColToCell } from './cell';
import { cellToText } from './cell-to-text';
import { GridError } from './grid-error';

/** An axis-aligned box: top-left corner, width and height, in pixels of the image. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Validates a box that arrives from outside. */
export const boxSchema = z.object({
  x: z.number().finite(),
  y: z.number().finite(),
  width: z.number().finite().nonnegative(),
  height: z.number().finite().nonnegative(),
});

/** Options of {@link boxToCells}. */
export interface BoxToCellsOptions {
  imageWidth: number;
  imageHeight: number;
  /** Side of the grid; default 3. */
  gridSize?: number;
}

/** Where a box lies on the grid. */
export interface BoxPlacement {
  /** Cells the box overlaps with positive area, ascending. */
  cells: Cell[];
  /** Cell of the box centre. */
  centerCell: Cell;
  /** Canonical phrase of `centerCell`. */
  text: string;
  gridSize: number;
}

/**
 * Places a bounding box on an N×N grid. The box is clipped to the image first.
 *
 * @example
 * boxToCells({ x: 0, y: 0, width: 10, height: 10 }, { imageWidth: 90, imageHeight: 90 }).text; // 'top left'
 */
export function boxToCells(box: Box, options: BoxToCellsOptions): BoxPlacement {
  const gridSize = options.gridSize ?? DEFAULT_GRID_SIZE;
  assertGridSize(gridSize);
  const { imageWidth, imageHeight } = options;
  if (!(imageWidth > 0) || !(imageHeight > 0)) {
    throw new GridError(`image size must be positive, got ${imageWidth}×${imageHeight}`, options);
  }
  const parsed = boxSchema.safeParse(box);
  if (!parsed.success) {
    throw new GridError(`invalid box: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, box);
  }
  const x0 = clamp(box.x, 0, imageWidth);
  const y0 = clamp(box.y, 0, imageHeight);
  const x1 = clamp(box.x + box.width, 0, imageWidth);
  const y1 = clamp(box.y + box.height, 0, imageHeight);
  if (x1 <= x0 || y1 <= y0) {
    throw new GridError('box has no area inside the image', box);
  }

  const cellW = imageWidth / gridSize;
  const cellH = imageHeight / gridSize;
  const cells: Cell[] = [];
  for (let row = 0; row < gridSize; row++) {
    const top = row * cellH;
    if (!(y0 < top + cellH && y1 > top)) continue;
    for (let col = 0; col < gridSize; col++) {
      const left = col * cellW;
      if (x0 < left + cellW && x1 > left) cells.push(rowColToCell({ row, col }, gridSize));
    }
  }
  const col = Math.min(gridSize - 1, Math.floor((((x0 + x1) / 2) * gridSize) / imageWidth));
  const row = Math.min(gridSize - 1, Math.floor((((y0 + y1) / 2) * gridSize) / imageHeight));
  const centerCell = rowColToCell({ row, col }, gridSize);
  return { cells, centerCell, text: cellToText(centerCell, gridSize), gridSize };
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}
