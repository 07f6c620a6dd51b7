import { type LocationMode, locationToCell } from '@iad-r1/grid';

/** Options of {@link locationReward}. */
export interface LocationRewardOptions {
  /** Side of the grid; default 3 (the paper's best). */
  gridSize?: number;
  /** `reference` (3×3 keyword walk, the default on 3×3) or `coordinates` (any N, the default otherwise). */
  mode?: LocationMode;
}

/**
 * R_l ∈ {0, 1}: both location texts are mapped to grid cells; 1 when the cells are equal.
 *
 * @example
 * locationReward('upper left corner', 'top left'); // 1
 * locationReward('bottom', 'center'); // 0
 */
export function locationReward(predicted: string, groundTruth: string, options: LocationRewardOptions = {}): number {
  const gridSize = options.gridSize ?? 3;
  const mode = options.mode ?? (gridSize === 3 ? 'reference' : 'coordinates');
  return locationToCell(predicted, { gridSize, mode }) === locationToCell(groundTruth, { gridSize, mode }) ? 1 : 0;
}
