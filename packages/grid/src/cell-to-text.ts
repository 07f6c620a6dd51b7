import { type Cell, DEFAULT_GRID_SIZE, cellToRowCol } from './cell';

const THREE_BY_THREE = [
  'top left',
  'top',
  'top right',
  'left',
  'center',
  'right',
  'bottom left',
  'bottom',
  'bottom right',
] as const;

/**
 * The canonical phrase for a cell. On the 3×3 grid it is a natural phrase ("top left",
 * "center", "bottom"); other sizes have more cells than such phrases, so they get an explicit
 * "row R, column C" (1-based), which `locationToCell` reads back in `coordinates` mode.
 *
 * @example
 * cellToText(1); // 'top left'
 * cellToText(5); // 'center'
 * cellToText(7, 4); // 'row 2, column 3'
 */
export function cellToText(cell: Cell, gridSize: number = DEFAULT_GRID_SIZE): string {
  const { row, col } = cellToRowCol(cell, gridSize);
  if (gridSize === 3) return THREE_BY_THREE[row * 3 + col] as string;
  return `row ${row + 1}, column ${col + 1}`;
}
