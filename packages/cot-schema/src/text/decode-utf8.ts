import { IadR1Error } from '@iad-r1/errors';

/** A text file that is not valid UTF-8: names the file, the line and the byte offset of the first bad byte. */
export class TextEncodingError extends IadR1Error {
  override readonly name = 'TextEncodingError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly byteOffset: number,
  ) {
    super(`${file}:${line}: not valid UTF-8 (byte ${byteOffset}); save the file as UTF-8`);
  }
}

const fatal = new TextDecoder('utf-8', { fatal: true });

/**
 * A file's bytes as text: UTF-8 required, a leading byte-order mark dropped (editors on Windows
 * write one). Invalid bytes are refused with a {@link TextEncodingError} rather than silently
 * replaced by U+FFFD, which would change ids, paths and answers without a word.
 *
 * @example
 * const text = decodeUtf8(await readFile('records.jsonl'), 'records.jsonl');
 */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    return fatal.decode(bytes);
  } catch {
    const offset = firstInvalidUtf8Byte(bytes);
    let line = 1;
    for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
    throw new TextEncodingError(file, line, offset);
  }
}

/** The offset where the first ill-formed UTF-8 sequence starts, or -1 when all bytes are well formed. */
export function firstInvalidUtf8Byte(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const lead = bytes[i] as number;
    if (lead < 0x80) {
      i++;
      continue;
    }
    // Sequence length and the allowed range of the second byte (no overlongs, no surrogates, ≤ U+10FFFF).
    const [length, low, high] =
      lead >= 0xc2 && lead <= 0xdf ? [2, 0x80, 0xbf] : lead === 0xe0 ? [3, 0xa0, 0xbf] : lead === 0xed ? [3, 0x80, 0x9f] : lead >= 0xe1 && lead <= 0xef ? [3, 0x80, 0xbf] : lead === 0xf0 ? [4, 0x90, 0xbf] : lead === 0xf4 ? [4, 0x80, 0x8f] : lead >= 0xf1 && lead <= 0xf3 ? [4, 0x80, 0xbf] : [0, 0, 0];
    if (length === 0) return i;
    for (let k = 1; k < length; k++) {
      const byte = bytes[i + k];
      const [min, max] = k === 1 ? [low, high] : [0x80, 0xbf];
      if (byte === undefined || byte < min || byte > max) return i;
    }
    i += length;
  }
  return -1;
}
