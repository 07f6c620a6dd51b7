import { readFile, stat } from 'node:fs/promises';
import type { ImageInput } from '../chat';
import { ModelRequestError } from '../model-errors';

function sniffMimeType(bytes: Uint8Array): string | undefined {
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'image/png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return 'image/jpeg';
  if (bytes[0] === 0x47 && bytes[1] === 0x49 && bytes[2] === 0x46) return 'image/gif';
  if (bytes[0] === 0x42 && bytes[1] === 0x4d) return 'image/bmp';
  if (bytes[0] === 0x52 && bytes[1] === 0x49 && bytes[2] === 0x46 && bytes[3] === 0x46 && bytes[8] === 0x57 && bytes[9] === 0x45) return 'image/webp';
  return undefined;
}

/**
 * The URL an OpenAI-compatible server accepts for an image: http(s) and data URLs pass through,
 * local paths and bytes become base64 data URLs with the type read from the bytes.
 *
 * @example
 * await imageDataUrl('bottle/test/broken_large/000.png'); // 'data:image/png;base64,iVBORw0…'
 */
export async function imageDataUrl(image: ImageInput): Promise<string> {
  if (typeof image === 'string' && /^(https?:|data:)/i.test(image)) return image;
  let bytes: Uint8Array;
  if (typeof image === 'string') {
    try {
      // A FIFO or device would block the read forever.
      if (!(await stat(image)).isFile()) throw new Error('not a regular file');
      bytes = await readFile(image);
    } catch (error) {
      throw new ModelRequestError(`cannot read image ${image}: ${(error as Error).message}`, { retryable: false, cause: error });
    }
  } else {
    bytes = image.data;
  }
  const mimeType = (typeof image === 'string' ? undefined : image.mimeType) ?? sniffMimeType(bytes) ?? 'application/octet-stream';
  return `data:${mimeType};base64,${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')}`;
}
