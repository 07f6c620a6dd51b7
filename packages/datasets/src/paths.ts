import { realpathSync } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { extname, isAbsolute, relative, resolve, sep } from 'node:path';
import { DatasetError } from './dataset-error';
import type { AnomalyDataset, AnomalySample, ReadOptions, SkippedItem } from './sample';

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.bmp', '.tif', '.tiff', '.webp']);

/** True for the image file extensions the readers accept (any case). */
export function isImageFile(name: string): boolean {
  return IMAGE_EXTENSIONS.has(extname(name).toLowerCase());
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return !(rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel));
}

function realPathOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path; // missing: the reader reports it as missing
  }
}

/**
 * Resolves a path found in a list file against the data root, refusing any that escapes it:
 * absolute paths elsewhere, `..` segments, and symbolic links (of the file or a folder above it)
 * that lead out of the root — whatever a data root holds may be sent to a model server.
 */
export function resolveInside(root: string, path: string, listFile: string, line?: number): string {
  const absolute = resolve(root, path);
  if (!isInside(root, absolute)) throw new DatasetError(listFile, `path ${JSON.stringify(path)} escapes the data root ${root}`, line);
  const real = realPathOrSelf(absolute);
  if (real !== absolute && !isInside(realPathOrSelf(root), real)) {
    throw new DatasetError(listFile, `path ${JSON.stringify(path)} is a link to ${real}, outside the data root ${root}`, line);
  }
  return absolute;
}

/**
 * Refuses a file whose real path (links followed) is not inside the data root's real path.
 *
 * @example
 * await assertRealPathInside('/data/mvtec', '/data/mvtec/bottle/test/good/000.png');
 */
export async function assertRealPathInside(root: string, path: string): Promise<void> {
  const [realRoot, real] = await Promise.all([realpath(root).catch(() => resolve(root)), realpath(path).catch(() => resolve(path))]);
  if (!isInside(realRoot, real)) throw new DatasetError(path, `is a link to ${real}, outside the data root ${root}; such a file is not read`);
}

/**
 * The samples (and reference images) of a dataset read from folders whose files are all inside
 * the root once links are followed; the others are reported through `report` (thrown, or kept
 * in `skipped` with `skipInvalid`).
 */
export async function keepFilesInsideRoot(dataset: AnomalyDataset, report: (path: string, reason: string) => false): Promise<AnomalyDataset> {
  const realRoot = await realpath(dataset.root).catch(() => dataset.root);
  const known = new Map<string, string | undefined>();
  const reported = new Set<string>();
  const outside = async (path: string | undefined): Promise<string | undefined> => {
    if (path === undefined) return undefined;
    if (!known.has(path)) {
      const real = await realpath(path).catch(() => path);
      known.set(path, isInside(realRoot, real) ? undefined : real);
    }
    return known.get(path);
  };
  // A training image is both a sample and a reference: report it once.
  const reportOnce = (path: string, escaped: string): void => {
    if (!reported.has(path)) report(path, `is a link to ${escaped}, outside the data root ${dataset.root}`);
    reported.add(path);
  };
  const samples: AnomalySample[] = [];
  for (const sample of dataset.samples) {
    let escaped: string | undefined;
    let at = sample.imagePath;
    for (const path of [sample.imagePath, sample.maskPath, ...(sample.references ?? [])]) {
      escaped = await outside(path);
      if (escaped) {
        at = path as string;
        break;
      }
    }
    if (escaped) reportOnce(at, escaped);
    else samples.push(sample);
  }
  const normalReferences: Record<string, string[]> = {};
  for (const [category, paths] of Object.entries(dataset.normalReferences)) {
    normalReferences[category] = [];
    for (const path of paths) {
      const escaped = await outside(path);
      if (escaped) reportOnce(path, escaped);
      else normalReferences[category].push(path);
    }
  }
  return { ...dataset, samples, normalReferences };
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
