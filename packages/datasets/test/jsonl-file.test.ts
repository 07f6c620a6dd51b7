import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { JsonlAppender, JsonlFileError, readJsonlFile } from '../src/index';

const schema = z.object({ key: z.string() });
const file = (content: string | Buffer) => {
  const path = join(mkdtempSync(join(tmpdir(), 'iad-r1-jsonl-')), 'answers.jsonl');
  writeFileSync(path, content);
  return path;
};

describe('the JSONL appender and reader', () => {
  it('terminates a complete last line left without its newline before appending', async () => {
    // A write cut short right after the record's closing brace (disk full, power loss).
    const path = file('{"key":"a"}\n{"key":"b"}');
    expect(await readJsonlFile(path, schema)).toEqual([{ key: 'a' }, { key: 'b' }]);
    const appender = new JsonlAppender(path);
    await appender.append({ key: 'c' });
    await appender.append({ key: 'd' });
    await appender.close();
    expect(readFileSync(path, 'utf8')).toBe('{"key":"a"}\n{"key":"b"}\n{"key":"c"}\n{"key":"d"}\n');
    // Resumes after that read and score on: every line parses.
    expect((await readJsonlFile(path, schema)).map((r) => r.key)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('appends to an empty, a missing or a well-terminated file without blank lines', async () => {
    for (const start of ['', '{"key":"a"}\n']) {
      const path = file(start);
      const appender = new JsonlAppender(path);
      await appender.append({ key: 'z' });
      await appender.close();
      expect(readFileSync(path, 'utf8')).toBe(`${start}{"key":"z"}\n`);
    }
    const missing = join(mkdtempSync(join(tmpdir(), 'iad-r1-jsonl-')), 'deep', 'new.jsonl');
    const appender = new JsonlAppender(missing);
    await appender.append({ key: 'n' });
    await appender.close();
    expect(readFileSync(missing, 'utf8')).toBe('{"key":"n"}\n');
  });

  it('drops a cut-off last line (counting a byte-order mark) and names any other bad line', async () => {
    const withBom = file(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"key":"a"}\n{"key":"b')]));
    const notes: string[] = [];
    expect(await readJsonlFile(withBom, schema, (l) => notes.push(l))).toEqual([{ key: 'a' }]);
    expect(notes[0]).toMatch(/answers\.jsonl:2: dropped a line cut off/);
    expect(readFileSync(withBom).subarray(3).toString()).toBe('{"key":"a"}\n');
    const bad = file('{"key":"a"}\nnot json\n{"key":"c"}\n');
    await expect(readJsonlFile(bad, schema)).rejects.toThrow(JsonlFileError);
    await expect(readJsonlFile(bad, schema)).rejects.toThrow(/answers\.jsonl:2: not valid JSON/);
    const wrongField = file('{"key":1}\n');
    await expect(readJsonlFile(wrongField, schema)).rejects.toThrow(/answers\.jsonl:1: field key:/);
  });

  it('refuses a file that is not UTF-8, naming its line', async () => {
    const latin1 = file(Buffer.concat([Buffer.from('{"key":"a"}\n{"key":"caf'), Buffer.from([0xe9]), Buffer.from('"}\n')]));
    await expect(readJsonlFile(latin1, schema)).rejects.toThrow(/answers\.jsonl:2: not valid UTF-8 \(byte 23\)/);
  });
});
