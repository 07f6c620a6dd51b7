import { type Cell, DEFAULT_GRID_SIZE, cellToRowCol } from './cell';

/**
 * Chebyshev (king-move) distance between two cells: 0 for the same cell, 1 for neighbours
 * (diagonals included). Useful for partial-credit location rewards.
 *
 * @example
 * cellDistance(1, 5); // 1
 * cellDistance(1, 9); // 2
 */
export function cellDistance(a: Cell, b: Cell, gridSize: number = DEFAULT_GRID_SIZE): number {
  const p = cellToRowCol(a, gridSize);
  const q = cellToRowCol(b, gridSize);
  return Math.max(Math.abs(p.row - q.row), Math.abs(p.col - q.col));
}

/**
 * Partial credit in [0, 1] that falls linearly with Chebyshev distance: 1 for the same cell,
 * 0 at `maxDistance` or beyond (default: the grid's largest distance, N − 1).
 *
 * @example
 * cellProximity(1, 5); // 0.5 on 3×3
 */
export function cellProximity(
  a: Cell,
  b: Cell,
  gridSize: number = DEFAULT_GRID_SIZE,
  maxDistance: number = gridSize - 1,
): number {
  if (maxDistance <= 0) return a === b ? 1 : 0;
  return Math.max(0, 1 - cellDistance(a, b, gridSize) / maxDistance);
}
