import { resolve } from 'node:path';
import { mmadEntryLabel, mmadManifestSchema, TextEncodingError } from '@iad-r1/cot-schema';
import { DatasetError } from '../dataset-error';
import { isFile, issueSink, resolveInside, sampleId } from '../paths';
import type { AnomalyDataset, AnomalySample, ReadOptions } from '../sample';
import { readTextFile } from '../text-file';

export interface MmadManifestOptions extends ReadOptions {
  /** Folder the manifest's paths are relative to. */
  root: string;
  /** Reference list to attach: `similar` (default, `similar_templates`) or `random` (`random_templates`). */
  references?: 'similar' | 'random';
  /** Check that every image, mask and template exists; default true. */
  checkFiles?: boolean;
}

/**
 * Reads an MMAD-style manifest (image path → `{conversation, similar_templates, random_templates,
 * mask_path}`). The label comes from the "Anomaly Detection" answer letter (A = Yes = anomalous),
 * else from a `good` path segment; the dataset is the first path segment (`DS-MVTec`, `VisA`, …)
 * and the category the second. Template lists become each sample's `references` (empty lists:
 * no 1-shot reference exists for that image).
 *
 * @example
 * const dtd = await readMmadManifest('/data/mmad/DTD.json', { root: '/data/mmad' });
 */
export async function readMmadManifest(manifestPath: string, options: MmadManifestOptions): Promise<AnomalyDataset> {
  const file = resolve(manifestPath);
  const dataRoot = resolve(options.root);
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readTextFile(file));
  } catch (error) {
    if (TextEncodingError.isInstance(error)) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new DatasetError(file, code === 'ENOENT' ? 'manifest not found' : `malformed JSON: ${(error as Error).message}`);
  }
  const result = mmadManifestSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new DatasetError(file, `entry ${JSON.stringify(issue?.path[0])}, field ${issue?.path.slice(1).join('.') || '(entry)'}: ${issue?.message}`);
  }
  const { skipped, report } = issueSink(options);
  const checkFiles = options.checkFiles ?? true;
  const samples: AnomalySample[] = [];
  const normalReferences: Record<string, string[]> = {};

  for (const [key, entry] of Object.entries(result.data)) {
    const where = `${file} (entry ${JSON.stringify(key)})`;
    const relPath = entry.image_path ?? key;
    const segments = relPath.split('/').filter(Boolean);
    const dataset = segments[0] ?? 'mmad';
    const category = segments[1] ?? dataset;
    if (options.categories && !options.categories.includes(category)) continue;
    const label = mmadEntryLabel(entry) ?? (segments.includes('good') ? 'normal' : undefined);
    if (!label) {
      report(file, `entry ${JSON.stringify(key)}: unknown label (no Yes/No "Anomaly Detection" answer and no good/ segment)`);
      continue;
    }
    let imagePath: string;
    let maskPath: string | undefined;
    let references: string[];
    try {
      imagePath = resolveInside(dataRoot, relPath, where);
      maskPath = entry.mask_path ? resolveInside(dataRoot, entry.mask_path, where) : undefined;
      const list = options.references === 'random' ? entry.random_templates : entry.similar_templates;
      references = list.map((p) => resolveInside(dataRoot, p, where));
    } catch (error) {
      if (!(error instanceof DatasetError) || !options.skipInvalid) throw error;
      skipped.push({ path: error.path, reason: error.reason });
      continue;
    }
    if (checkFiles) {
      const missing = [imagePath, ...(maskPath ? [maskPath] : []), ...references];
      const flags = await Promise.all(missing.map((p) => isFile(p)));
      const absent = missing.find((_, i) => !flags[i]);
      if (absent) {
        report(absent, `file named in ${where} not found`);
        continue;
      }
    }
    samples.push({
      id: sampleId(dataRoot, imagePath),
      dataset,
      category,
      label,
      imagePath,
      split: 'test',
      references,
      ...(maskPath ? { maskPath } : {}),
      ...(label === 'anomalous' ? { defect: segments[segments.length - 2] ?? 'defect' } : {}),
    });
    normalReferences[category] ??= [];
  }
  // Every path went through resolveInside, which follows links, so nothing here leads out of the root.
  return { name: 'mmad', root: dataRoot, samples, normalReferences, skipped };
}
