import { readdir, stat } from 'node:fs/promises';
import { extname, isAbsolute, relative, resolve, sep } from 'node:path';
import { DatasetError } from './dataset-error';
import type { ReadOptions, SkippedItem } from './sample';

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp']);

/** True for the image file extensions the readers accept (any case). */
export function isImageFile(name: string): boolean {
  return IMAGE_EXTENSIONS.has(extname(name).toLowerCase());
}

/**
 * Resolves a path found in a list file against the data root, refusing any that escapes it
 * (absolute paths elsewhere, `..` segments).
 */
export function resolveInside(root: string, path: string, listFile: string, line?: number): string {
  const absolute = resolve(root, path);
  const rel = relative(root, absolute);
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) {
    throw new DatasetError(listFile, `path ${JSON.stringify(path)} escapes the data root ${root}`, line);
  }
  return absolute;
}

export async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

export async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** Sorted entry names of a folder; throws a DatasetError naming it when it is missing. */
export async function listFolder(path: string, what = 'folder'): Promise<string[]> {
  try {
    return (await readdir(path)).sort();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new DatasetError(path, code === 'ENOENT' ? `${what} not found` : `cannot read ${what}: ${(error as Error).message}`);
  }
}

/** Sorted subfolder names. */
export async function listSubfolders(path: string, what = 'folder'): Promise<string[]> {
  const names = await listFolder(path, what);
  const flags = await Promise.all(names.map((n) => isDirectory(resolve(path, n))));
  return names.filter((_, i) => flags[i]);
}

/** Sorted image file names of a folder (empty when the folder does not exist). */
export async function listImages(path: string): Promise<string[]> {
  if (!(await isDirectory(path))) return [];
  return (await listFolder(path)).filter(isImageFile);
}

/**
 * Where readers send an invalid item: thrown as a DatasetError, or recorded as skipped when
 * `skipInvalid` is set. Returns false so callers can `if (!report(…)) continue`.
 */
export function issueSink(options: ReadOptions): { skipped: SkippedItem[]; report: (path: string, reason: string, line?: number) => false } {
  const skipped: SkippedItem[] = [];
  return {
    skipped,
    report(path, reason, line) {
      if (!options.skipInvalid) throw new DatasetError(path, reason, line);
      skipped.push({ path, reason, ...(line !== undefined ? { line } : {}) });
      return false;
    },
  };
}

/** Checks that every requested category exists; throws naming the missing folder. */
export function selectCategories(root: string, available: readonly string[], options: ReadOptions): string[] {
  if (!options.categories) return [...available];
  for (const category of options.categories) {
    if (!available.includes(category)) {
      throw new DatasetError(resolve(root, category), `category ${JSON.stringify(category)} not found (available: ${available.join(', ') || 'none'})`);
    }
  }
  return available.filter((c) => options.categories?.includes(c));
}

/** Sample id: path relative to the root, forward slashes, no extension. */
export function sampleId(root: string, imagePath: string): string {
  const rel = relative(root, imagePath).split(sep).join('/');
  return rel.slice(0, rel.length - extname(rel).length);
}
