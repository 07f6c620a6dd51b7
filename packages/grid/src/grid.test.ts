import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  GridError,
  boxToCells,
  cellDistance,
  cellProximity,
  cellToRowCol,
  cellToText,
  locationToCell,
  maskToCells,
  rowColToCell,
} from './index';

describe('locationToCell, reference mode (docs/METHOD.md §3 worked rules)', () => {
  it.each([
    ['upper left corner', 1],
    ['slightly right of the centre', 6],
    ['bottom', 8],
    ['', 5],
    ['top', 2],
    ['top right', 3],
    ['left', 4],
    ['center', 5],
    ['lower left', 7],
    ['bottom right corner', 9],
    ['Upper-Right', 3],
  ])('%j → %i', (text, cell) => {
    expect(locationToCell(text)).toBe(cell);
  });

  it('reproduces the substring quirks of the released code', () => {
    // "bright" contains "right"; "stop" contains "top"; left wins over right, top over bottom.
    expect(locationToCell('a bright spot')).toBe(6);
    expect(locationToCell('near the stop sign')).toBe(2);
    expect(locationToCell('from left to right')).toBe(4);
    expect(locationToCell('top to bottom')).toBe(2);
    expect(locationToCell('lower part, upper edge')).toBe(2);
  });

  it('refuses grid sizes other than 3', () => {
    expect(() => locationToCell('left', { gridSize: 4, mode: 'reference' })).toThrow(/3×3/);
  });
});

describe('locationToCell, coordinates mode', () => {
  const words = ['top', 'upper', 'bottom', 'lower', 'left', 'right', 'center', 'middle'];

  it('agrees with reference mode on 3×3 for every phrase of up to three keywords', () => {
    const phrases: string[] = [''];
    for (const a of words) {
      phrases.push(a);
      for (const b of words) {
        phrases.push(`${a} ${b}`, `${a}-${b}`);
        for (const c of words) phrases.push(`${a} ${b} ${c}`);
      }
    }
    expect(phrases.length).toBe(1 + 8 + 128 + 512);
    for (const phrase of phrases) {
      expect(locationToCell(phrase, { gridSize: 3, mode: 'coordinates' }), phrase).toBe(locationToCell(phrase));
    }
  });

  it('maps keywords to ⌊coord·N⌋ with left/top = 1/6, centre = 1/2, right/bottom = 5/6', () => {
    // N = 4: left ⌊4/6⌋ = 0, centre ⌊2⌋ = 2, right ⌊20/6⌋ = 3.
    expect(locationToCell('top right', { gridSize: 4 })).toBe(0 * 4 + 3 + 1);
    expect(locationToCell('center', { gridSize: 4 })).toBe(2 * 4 + 2 + 1);
    expect(locationToCell('bottom left', { gridSize: 4 })).toBe(3 * 4 + 0 + 1);
    // N = 6: left ⌊1⌋ = 1 (exactly on the boundary), right ⌊5⌋ = 5.
    expect(locationToCell('upper left', { gridSize: 6 })).toBe(1 * 6 + 1 + 1);
    expect(locationToCell('lower right', { gridSize: 6 })).toBe(5 * 6 + 5 + 1);
    // N = 1: one cell.
    expect(locationToCell('bottom right', { gridSize: 1 })).toBe(1);
  });

  it('matches whole words, unlike the reference substring walk', () => {
    expect(locationToCell('a bright spot', { mode: 'coordinates' })).toBe(5);
  });

  it('reads back the canonical text of every cell, for grid sizes 1..7', () => {
    for (let n = 1; n <= 7; n++) {
      for (let cell = 1; cell <= n * n; cell++) {
        expect(locationToCell(cellToText(cell, n), { gridSize: n, mode: 'coordinates' })).toBe(cell);
      }
    }
  });
});

describe('cellToText', () => {
  it('names the nine 3×3 cells and round-trips through the reference walk', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9].map((c) => cellToText(c))).toEqual([
      'top left',
      'top',
      'top right',
      'left',
      'center',
      'right',
      'bottom left',
      'bottom',
      'bottom right',
    ]);
    for (let cell = 1; cell <= 9; cell++) expect(locationToCell(cellToText(cell))).toBe(cell);
  });

  it('rejects cells outside the grid', () => {
    expect(() => cellToText(0)).toThrow(GridError);
    expect(() => cellToText(10)).toThrow(/1\.\.9/);
    expect(() => cellToText(2.5)).toThrow(GridError);
  });
});

describe('cells, rows and columns', () => {
  it('are inverse of each other', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }).chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 1, max: n * n }))), ([n, cell]) => {
        expect(rowColToCell(cellToRowCol(cell, n), n)).toBe(cell);
      }),
    );
  });

  it('measures Chebyshev distance', () => {
    expect(cellDistance(5, 5)).toBe(0);
    expect(cellDistance(1, 5)).toBe(1);
    expect(cellDistance(1, 9)).toBe(2);
    expect(cellDistance(4, 6)).toBe(2);
    expect(cellDistance(2, 7)).toBe(2);
    expect(cellDistance(1, 16, 4)).toBe(3);
    expect(cellProximity(1, 5)).toBe(0.5);
    expect(cellProximity(1, 9)).toBe(0);
    expect(cellProximity(3, 3, 1)).toBe(1);
  });
});

function maskWith(width: number, height: number, pixels: Array<[number, number]>, value = 255): Uint8Array {
  const data = new Uint8Array(width * height);
  for (const [x, y] of pixels) data[y * width + x] = value;
  return data;
}

function block(x0: number, y0: number, x1: number, y1: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) out.push([x, y]);
  return out;
}

describe('maskToCells', () => {
  it('places a single pixel', () => {
    const placement = maskToCells({ width: 9, height: 9, data: maskWith(9, 9, [[0, 0]]) });
    expect(placement).toEqual({ cells: [1], centroidCell: 1, text: 'top left', area: 1, components: 1, gridSize: 3 });
  });

  it('uses the largest component for the location and every covered cell for `cells`', () => {
    // 3×3 blob in the middle block of a 9×9 mask, plus one stray pixel top left.
    const data = maskWith(9, 9, [...block(3, 3, 6, 6), [0, 0]]);
    const placement = maskToCells({ width: 9, height: 9, data });
    expect(placement.cells).toEqual([1, 5]);
    expect(placement.centroidCell).toBe(5);
    expect(placement.text).toBe('center');
    expect(placement.area).toBe(10);
    expect(placement.components).toBe(2);
    expect(maskToCells({ width: 9, height: 9, data }, { minArea: 2 }).cells).toEqual([5]);
  });

  it('joins diagonal neighbours into one component (8-connectivity)', () => {
    const data = maskWith(9, 9, [
      [6, 6],
      [7, 7],
      [8, 8],
    ]);
    const placement = maskToCells({ width: 9, height: 9, data });
    expect(placement.components).toBe(1);
    expect(placement.centroidCell).toBe(9);
  });

  it('spans cells and puts the centroid where the blob mass is', () => {
    // Rows 0..2, columns 0..8 of a 9×9 mask: the whole top band; centroid x = 4.5 → column 1.
    const placement = maskToCells({ width: 9, height: 9, data: maskWith(9, 9, block(0, 0, 9, 3)) });
    expect(placement.cells).toEqual([1, 2, 3]);
    expect(placement.centroidCell).toBe(2);
    expect(placement.text).toBe('top');
  });

  it('applies the threshold, reads the first channel, supports other grid sizes', () => {
    expect(maskToCells({ width: 9, height: 9, data: maskWith(9, 9, [[0, 0]], 127) }).area).toBe(0);
    expect(maskToCells({ width: 9, height: 9, data: maskWith(9, 9, [[0, 0]], 128) }).area).toBe(1);
    const rgba = new Uint8Array(4 * 4 * 4);
    rgba[(3 * 4 + 3) * 4] = 255; // bottom-right pixel, red channel
    rgba[1] = 255; // top-left pixel, green channel only: ignored
    const placement = maskToCells({ width: 4, height: 4, data: rgba, channels: 4 }, { gridSize: 4 });
    expect(placement.cells).toEqual([16]);
    expect(placement.text).toBe('row 4, column 4');
  });

  it('assigns pixels by their centres on sizes that do not divide evenly', () => {
    // 10 px wide, 3 columns: pixel 3 has centre 3.5 → ⌊3.5·3/10⌋ = 1; pixel 2 → ⌊2.5·3/10⌋ = 0.
    expect(maskToCells({ width: 10, height: 1, data: maskWith(10, 1, [[3, 0]]) }).cells).toEqual([5]);
    expect(maskToCells({ width: 10, height: 1, data: maskWith(10, 1, [[2, 0]]) }).cells).toEqual([4]);
  });

  it('keeps the centroid cell among the covered cells for any single pixel', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 7 }), fc.nat(), fc.nat(), (w, h, n, px, py) => {
        const x = px % w;
        const y = py % h;
        const placement = maskToCells({ width: w, height: h, data: maskWith(w, h, [[x, y]]) }, { gridSize: n });
        expect(placement.cells).toEqual([placement.centroidCell]);
      }),
    );
  });

  it('reports an empty mask without a location', () => {
    expect(maskToCells({ width: 5, height: 5, data: new Uint8Array(25) })).toMatchObject({
      cells: [],
      centroidCell: null,
      text: null,
      area: 0,
    });
  });

  it('rejects a mask whose data does not match its size', () => {
    expect(() => maskToCells({ width: 5, height: 5, data: new Uint8Array(24) })).toThrow(/24 bytes.*25/);
  });
});

describe('boxToCells', () => {
  it('lists overlapped cells and the centre cell', () => {
    const left = boxToCells({ x: 0, y: 0, width: 30, height: 90 }, { imageWidth: 90, imageHeight: 90 });
    expect(left).toEqual({ cells: [1, 4, 7], centerCell: 4, text: 'left', gridSize: 3 });
    // A box touching a cell edge only does not overlap it.
    const touching = boxToCells({ x: 30, y: 30, width: 30, height: 30 }, { imageWidth: 90, imageHeight: 90 });
    expect(touching.cells).toEqual([5]);
    const straddling = boxToCells({ x: 50, y: 50, width: 20, height: 20 }, { imageWidth: 90, imageHeight: 90 });
    expect(straddling.cells).toEqual([5, 6, 8, 9]);
    expect(straddling.centerCell).toBe(9);
  });

  it('clips to the image and rejects empty or invalid boxes', () => {
    expect(boxToCells({ x: -10, y: 80, width: 20, height: 50 }, { imageWidth: 90, imageHeight: 90 }).cells).toEqual([7]);
    expect(() => boxToCells({ x: 100, y: 0, width: 5, height: 5 }, { imageWidth: 90, imageHeight: 90 })).toThrow(/no area/);
    expect(() => boxToCells({ x: 0, y: 0, width: -1, height: 5 }, { imageWidth: 90, imageHeight: 90 })).toThrow(/width/);
  });
});
