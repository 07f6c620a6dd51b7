import { DEFAULT_GRID_SIZE, assertGridSize } from './cell';

const PLACE_WORDS = new Set(['left', 'right', 'top', 'upper', 'bottom', 'lower', 'centre', 'center', 'central', 'middle']);

/**
 * True when a location text names a place on the grid: a whole word among left, right, top,
 * upper, bottom, lower, centre/center/central, middle, or an explicit "row R, column C" inside an
 * N×N grid. {@link locationToCell} maps any text to a cell (a keyword-free one to the centre), so
 * this is the check for text a person or model wrote as a location ("on the moon" is not one).
 *
 * @example
 * namesGridPlace('upper left corner'); // true
 * namesGridPlace('row 2, column 4', 4); // true
 * namesGridPlace('on the moon'); // false
 */
export function namesGridPlace(text: string, gridSize: number = DEFAULT_GRID_SIZE): boolean {
  assertGridSize(gridSize);
  const lower = text.toLowerCase();
  if (lower.split(/[^a-z]+/).some((word) => PLACE_WORDS.has(word))) return true;
  const row = /\brow\s+(\d+)/.exec(lower)?.[1];
  const col = /\b(?:column|col)\s+(\d+)/.exec(lower)?.[1];
  return row !== undefined && col !== undefined && [row, col].every((n) => Number(n) >= 1 && Number(n) <= gridSize);
}
