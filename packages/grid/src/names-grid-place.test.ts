import { describe, expect, it } from 'vitest';
import { namesGridPlace } from './names-grid-place';

describe('namesGridPlace', () => {
  it('accepts the place words as whole words, in any case', () => {
    for (const text of ['upper left corner', 'Top', 'slightly right of the centre', 'center', 'in the middle', 'lower-right', 'bottom edge']) expect(namesGridPlace(text)).toBe(true);
  });

  it('refuses text without a place, and place words only inside other words', () => {
    for (const text of ['on the moon', '', 'brightly lit', 'stopped', 'everywhere']) expect(namesGridPlace(text)).toBe(false);
  });

  it('accepts "row R, column C" only inside the grid', () => {
    expect(namesGridPlace('row 2, column 4', 4)).toBe(true);
    expect(namesGridPlace('row 2, column 4', 3)).toBe(false);
    expect(namesGridPlace('row 0, column 1', 3)).toBe(false);
  });
});
