// Everything a release publishes, as files: each public package's npm tarball (pnpm pack, which
// turns workspace: ranges into the versions they point at) and the Python wheel of
// @iad-r1/rewards' shims, built from the folder inside the packed tarball — what users get.
//   pnpm release:pack      (builds first; writes release/)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Folder names under packages/ of the packages a release publishes. */
export function publicPackages() {
  return readdirSync(join(root, 'packages')).filter((name) => {
    const manifest = join(root, 'packages', name, 'package.json');
    return existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).private !== true;
  });
}

/**
 * Packs every public package into `out` and builds the Python wheel there.
 * @returns {{ tarballs: string[], wheel: string }}
 */
export function packRelease(out = join(root, 'release')) {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  for (const name of publicPackages()) {
    execFileSync('pnpm', ['pack', '--pack-destination', out], { cwd: join(root, 'packages', name), stdio: ['ignore', 'ignore', 'inherit'] });
  }
  const tarballs = readdirSync(out).filter((f) => f.endsWith('.tgz')).map((f) => join(out, f));
  const rewards = tarballs.find((f) => /iad-r1-rewards-[^/]*\.tgz$/.test(f));
  if (!rewards) throw new Error('no @iad-r1/rewards tarball was packed');
  const unpacked = mkdtempSync(join(tmpdir(), 'iad-r1-release-'));
  execFileSync('tar', ['-xzf', rewards, '-C', unpacked]);
  // pip builds in an isolated environment with setuptools from its configured index.
  execFileSync('python3', ['-m', 'pip', 'wheel', '--no-deps', '--quiet', '--wheel-dir', out, join(unpacked, 'package', 'python')], { stdio: ['ignore', 'ignore', 'inherit'] });
  rmSync(unpacked, { recursive: true, force: true });
  const wheel = readdirSync(out).find((f) => f.endsWith('.whl'));
  if (!wheel) throw new Error('pip built no wheel');
  return { tarballs, wheel: join(out, wheel) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { tarballs, wheel } = packRelease();
  for (const file of [...tarballs, wheel]) console.log(file);
}
