import type { Raster, Rgb } from './raster';

/** A rendered normal image and where the inspected material is. */
export interface Scene {
  raster: Raster;
  /** Per pixel, how much of it is the part or texture (1) rather than background (0). */
  support: Float32Array;
  /** Background colour around an object (null for textures, which fill the frame). */
  background: Rgb | null;
}
