import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const SKIP = new Set(['node_modules', 'dist', '.turbo']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (SKIP.has(name) || name.startsWith('.')) return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|mjs|js|md|py)$/.test(name) ? [path] : [];
  });
}

const files = [...sourceFiles(join(root, 'packages')), ...sourceFiles(join(root, 'examples')), join(root, 'README.md')];

describe('documents cited in the code', () => {
  it('are all in the repository, and every METHOD.md section cited exists', () => {
    const method = readFileSync(join(root, 'docs', 'METHOD.md'), 'utf8');
    const sections = new Set([...method.matchAll(/^## (\d+)\./gm)].map((m) => m[1]));
    const problems: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      // A bare name (METHOD.md, not docs/METHOD.md) points at a file a reader cannot find.
      for (const m of text.matchAll(/(?<![\w/.-])(METHOD|DESIGN|DATA|STYLE)\.md/g)) problems.push(`${relative(root, file)}: cites ${m[0]} without its folder`);
      for (const m of text.matchAll(/docs\/([A-Z]+)\.md(?: §(\d+))?/g)) {
        if (!existsSync(join(root, 'docs', `${m[1]}.md`))) problems.push(`${relative(root, file)}: cites docs/${m[1]}.md, which does not exist`);
        if (m[1] === 'METHOD' && m[2] !== undefined && !sections.has(m[2])) problems.push(`${relative(root, file)}: cites docs/METHOD.md §${m[2]}, which has no such section`);
      }
    }
    expect(files.length).toBeGreaterThan(100);
    expect(problems).toEqual([]);
  });
});
