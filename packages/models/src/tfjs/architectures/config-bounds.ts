import { z } from 'zod';

// Upper bounds on the sizes a config.json or preprocessor_config.json may declare. They are far
// above every released model (the largest have ~128 layers, widths of ~53 K, vocabularies of
// ~262 K, images of a few megapixels) and exist so that a hostile or mistyped file is refused by
// name while it is parsed, before a weight list, a memory estimate or an image is built from it.

/** Layers of a decoder or vision tower. */
export const MAX_LAYERS = 1024;
/** Hidden, MLP, embedding and projection widths. */
export const MAX_WIDTH = 1 << 20;
/** Attention heads (query or key-value). */
export const MAX_HEADS = 4096;
/** Vocabulary entries and token ids. */
export const MAX_VOCABULARY = 1 << 23;
/** Positions a model declares it covers. */
export const MAX_POSITIONS = 1 << 24;
/** Side of an image, a tile, a patch or a grid pinpoint, in pixels. */
export const MAX_IMAGE_SIDE = 16_384;
/** A processor's lower pixel bound: every image is enlarged to at least this many pixels. */
export const MAX_MIN_PIXELS = 4096 * 4096;
/** A processor's upper pixel bound. */
export const MAX_MAX_PIXELS = 8192 * 8192;

/** A whole number from 1 (or `min`) to `max`, refused with the bound in the message. */
export function boundedInt(max: number, what: string, min = 1) {
  return z
    .number()
    .int()
    .min(min)
    .max(max, { message: `${what} above ${max.toLocaleString('en-US')} is not a real model's; refused before anything is built` });
}

export const layerCount = () => boundedInt(MAX_LAYERS, 'a layer count');
export const width = () => boundedInt(MAX_WIDTH, 'a width');
export const headCount = () => boundedInt(MAX_HEADS, 'a head count');
export const vocabularySize = () => boundedInt(MAX_VOCABULARY, 'a vocabulary');
export const tokenId = () => boundedInt(MAX_VOCABULARY, 'a token id', 0);
export const positionCount = () => boundedInt(MAX_POSITIONS, 'a position count');
export const imageSide = () => boundedInt(MAX_IMAGE_SIDE, 'an image side');
