export { type Cell, type RowCol, DEFAULT_GRID_SIZE, assertCell, assertGridSize, cellToRowCol, rowColToCell } from './cell';
export { GridError } from './grid-error';
export { type LocationMode, type LocationToCellOptions, locationToCell } from './location-to-cell';
export { cellToText } from './cell-to-text';
export { cellDistance, cellProximity } from './cell-distance';
export { type DefectPlacement, type Mask, type MaskToCellsOptions, maskSchema, maskToCells } from './mask-to-cells';
export { type Box, type BoxPlacement, type BoxToCellsOptions, boxSchema, boxToCells } from './box-to-cells';
export { namesGridPlace } from './names-grid-place';
