import { GridError } from './grid-error';

/**
 * A cell of an N×N grid, numbered 1..N² in row-major order (1 = top left).
 * For the paper's 3×3 grid the centre is 5 and the bottom right is 9.
 */
export type Cell = number;

/** Zero-based row and column of a cell. */
export interface RowCol {
  row: number;
  col: number;
}

/** The paper's grid size (docs/METHOD.md §3): 3×3 gave the best results. */
export const DEFAULT_GRID_SIZE = 3;

/** Throws a {@link GridError} unless `gridSize` is a whole number ≥ 1. */
export function assertGridSize(gridSize: number): void {
  if (!Number.isInteger(gridSize) || gridSize < 1) {
    throw new GridError(`grid size must be a whole number ≥ 1, got ${String(gridSize)}`, gridSize);
  }
}

/** Throws a {@link GridError} unless `cell` is a whole number in 1..gridSize². */
export function assertCell(cell: Cell, gridSize: number): void {
  assertGridSize(gridSize);
  if (!Number.isInteger(cell) || cell < 1 || cell > gridSize * gridSize) {
    throw new GridError(
      `cell must be a whole number in 1..${gridSize * gridSize} for a ${gridSize}×${gridSize} grid, got ${String(cell)}`,
      cell,
    );
  }
}

/**
 * Zero-based row and column of a 1-based row-major cell.
 *
 * @example
 * cellToRowCol(6, 3); // { row: 1, col: 2 }
 */
export function cellToRowCol(cell: Cell, gridSize: number = DEFAULT_GRID_SIZE): RowCol {
  assertCell(cell, gridSize);
  return { row: Math.floor((cell - 1) / gridSize), col: (cell - 1) % gridSize };
}

/**
 * The 1-based row-major cell at a zero-based row and column.
 *
 * @example
 * rowColToCell({ row: 2, col: 0 }, 3); // 7 (bottom left)
 */
export function rowColToCell(position: RowCol, gridSize: number = DEFAULT_GRID_SIZE): Cell {
  assertGridSize(gridSize);
  const { row, col } = position;
  if (!Number.isInteger(row) || !Number.isInteger(col) || row < 0 || col < 0 || row >= gridSize || col >= gridSize) {
    throw new GridError(`row and column must be whole numbers in 0..${gridSize - 1}`, position);
  }
  return row * gridSize + col + 1;
}
