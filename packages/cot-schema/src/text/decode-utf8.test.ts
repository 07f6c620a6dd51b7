import { describe, expect, it } from 'vitest';
import { parseRecords } from '../records/parse-records';
import { z } from 'zod';
import { TextEncodingError, decodeUtf8, firstInvalidUtf8Byte } from './decode-utf8';

const bytes = (...values: number[]) => Uint8Array.from(values);
const utf8 = (text: string) => new TextEncoder().encode(text);

describe('decodeUtf8', () => {
  it('decodes UTF-8 and drops a leading byte-order mark', () => {
    expect(decodeUtf8(utf8('{"a":"é€𝄞"}\n'), 'f')).toBe('{"a":"é€𝄞"}\n');
    expect(decodeUtf8(bytes(0xef, 0xbb, 0xbf, 0x7b, 0x7d), 'f')).toBe('{}');
  });

  it('refuses invalid bytes, naming file, line and byte offset', () => {
    // Line 2 holds Latin-1 "é" (0xE9), which UTF-8 would have silently turned into U+FFFD.
    const latin1 = bytes(...utf8('{"a":1}\n{"b":"caf'), 0xe9, ...utf8('"}\n'));
    let caught: unknown;
    try {
      decodeUtf8(latin1, 'records.jsonl');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TextEncodingError);
    expect((caught as Error).message).toBe('records.jsonl:2: not valid UTF-8 (byte 17); save the file as UTF-8');
  });

  it('finds the first ill-formed sequence by hand-checked cases', () => {
    expect(firstInvalidUtf8Byte(utf8('plain ascii'))).toBe(-1);
    expect(firstInvalidUtf8Byte(utf8('é€𝄞'))).toBe(-1);
    expect(firstInvalidUtf8Byte(bytes(0x61, 0xc0, 0xaf))).toBe(1); // overlong "/"
    expect(firstInvalidUtf8Byte(bytes(0xe0, 0x80, 0xaf))).toBe(0); // overlong three-byte form
    expect(firstInvalidUtf8Byte(bytes(0xed, 0xa0, 0x80))).toBe(0); // a UTF-16 surrogate
    expect(firstInvalidUtf8Byte(bytes(0xf4, 0x90, 0x80, 0x80))).toBe(0); // above U+10FFFF
    expect(firstInvalidUtf8Byte(bytes(0x61, 0x62, 0xe2, 0x82))).toBe(2); // cut off at the end
    expect(firstInvalidUtf8Byte(bytes(0x80))).toBe(0); // a lone continuation byte
  });
});

describe('parseRecords and a byte-order mark', () => {
  it('reads the first record of a JSONL or JSON text that starts with one', () => {
    const schema = z.object({ id: z.string() });
    expect(parseRecords('\uFEFF{"id":"a"}\n{"id":"b"}\n', schema, { file: 'r.jsonl' })).toEqual([{ id: 'a' }, { id: 'b' }]);
    expect(parseRecords('\uFEFF[{"id":"a"}]', schema, { file: 'r.json' })).toEqual([{ id: 'a' }]);
  });
});
