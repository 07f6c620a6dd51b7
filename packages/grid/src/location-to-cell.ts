import { type Cell, DEFAULT_GRID_SIZE, assertGridSize, rowColToCell } from './cell';

/**
 * How location text is read.
 * - `reference`: the authors' released keyword walk, reproduced exactly (3×3 only):
 *   substring matching, so "bright" counts as "right".
 * - `coordinates`: keywords as whole words mapped to normalised coordinates, for any N.
 *   Also reads the explicit "row R, column C" phrases that {@link cellToText} writes for N ≠ 3.
 */
export type LocationMode = 'reference' | 'coordinates';

/** Options of {@link locationToCell}. */
export interface LocationToCellOptions {
  /** Side of the grid; default 3. The `reference` mode only supports 3. */
  gridSize?: number;
  /** Default `reference` for a 3×3 grid, `coordinates` otherwise. */
  mode?: LocationMode;
}

type Horizontal = 'left' | 'centre' | 'right';
type Vertical = 'top' | 'centre' | 'bottom';

/**
 * Maps a location phrase ("upper left corner", "slightly right of the centre") to a grid cell,
 * per docs/METHOD.md §3. An empty or keyword-free text maps to the centre.
 *
 * @example
 * locationToCell('upper left corner'); // 1
 * locationToCell('slightly right of the centre'); // 6
 * locationToCell('bottom'); // 8
 * locationToCell('top right', { gridSize: 4 }); // 4
 */
export function locationToCell(text: string, options: LocationToCellOptions = {}): Cell {
  const gridSize = options.gridSize ?? DEFAULT_GRID_SIZE;
  assertGridSize(gridSize);
  const mode = options.mode ?? (gridSize === 3 ? 'reference' : 'coordinates');
  const lower = text.toLowerCase();

  if (mode === 'reference') {
    if (gridSize !== 3) {
      throw new RangeError(
        `the reference keyword walk is defined for a 3×3 grid only; use mode 'coordinates' for gridSize ${gridSize}`,
      );
    }
    return referenceKeywordWalk(lower);
  }

  const explicit = explicitRowColumn(lower, gridSize);
  if (explicit !== undefined) return explicit;

  const words = new Set(lower.split(/[^a-z]+/).filter((word) => word.length > 0));
  const horizontal: Horizontal = words.has('left') ? 'left' : words.has('right') ? 'right' : 'centre';
  const vertical: Vertical =
    words.has('top') || words.has('upper') ? 'top' : words.has('bottom') || words.has('lower') ? 'bottom' : 'centre';
  return rowColToCell({ row: coordinateToIndex(vertical, gridSize), col: coordinateToIndex(horizontal, gridSize) }, gridSize);
}

// The released code starts at the centre and moves one step per axis; left is checked before
// right and top/upper before bottom/lower, by plain substring tests.
function referenceKeywordWalk(lower: string): Cell {
  let row = 1;
  let col = 1;
  if (lower.includes('left')) col -= 1;
  else if (lower.includes('right')) col += 1;
  if (lower.includes('top') || lower.includes('upper')) row -= 1;
  else if (lower.includes('bottom') || lower.includes('lower')) row += 1;
  return row * 3 + col + 1;
}

// left/top = 1/6, centre = 1/2, right/bottom = 5/6 of the side, then cell ⌊coord·N⌋.
// Integer arithmetic (⌊k·N/6⌋) avoids 1/6 rounding at N multiple of 6.
function coordinateToIndex(position: Horizontal | Vertical, gridSize: number): number {
  const sixths = position === 'left' || position === 'top' ? 1 : position === 'centre' ? 3 : 5;
  return Math.min(gridSize - 1, Math.floor((sixths * gridSize) / 6));
}

function explicitRowColumn(lower: string, gridSize: number): Cell | undefined {
  const row = /\brow\s+(\d+)/.exec(lower);
  const col = /\b(?:column|col)\s+(\d+)/.exec(lower);
  if (!row || !col) return undefined;
  const r = Number(row[1]) - 1;
  const c = Number(col[1]) - 1;
  if (r < 0 || c < 0 || r >= gridSize || c >= gridSize) return undefined;
  return rowColToCell({ row: r, col: c }, gridSize);
}
