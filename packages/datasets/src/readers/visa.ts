import { TextEncodingError } from '@iad-r1/cot-schema';
import { join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { DatasetError } from '../dataset-error';
import { isDirectory, isFile, issueSink, resolveInside, sampleId, selectCategories } from '../paths';
import type { AnomalyDataset, AnomalySample, ReadOptions } from '../sample';
import { readTextFile } from '../text-file';

export interface VisaOptions extends ReadOptions {
  /** Split file relative to the root; default `split_csv/1cls.csv`. */
  splitFile?: string;
}

const REQUIRED_COLUMNS = ['object', 'split', 'label', 'image', 'mask'];

/**
 * Reads VisA as distributed: `<cat>/Data/Images/{Normal,Anomaly}/*.JPG`, masks under
 * `<cat>/Data/Masks/Anomaly/`, and the split file `split_csv/1cls.csv` (`object,split,label,image,mask`,
 * label `normal`/`anomaly`). Errors name the CSV line.
 *
 * @example
 * const visa = await readVisa('/data/VisA_20220922');
 */
export async function readVisa(root: string, options: VisaOptions = {}): Promise<AnomalyDataset> {
  const dataRoot = resolve(root);
  if (!(await isDirectory(dataRoot))) throw new DatasetError(dataRoot, 'dataset folder not found');
  const csvPath = join(dataRoot, options.splitFile ?? join('split_csv', '1cls.csv'));
  let text: string;
  try {
    text = await readTextFile(csvPath);
  } catch (error) {
    if (TextEncodingError.isInstance(error)) throw error;
    throw new DatasetError(csvPath, 'VisA split file not found (expected split_csv/1cls.csv under the data root)');
  }
  let rows: string[][];
  try {
    rows = parse(text, { skip_empty_lines: true, trim: true, relax_column_count: false }) as string[][];
  } catch (error) {
    throw new DatasetError(csvPath, `malformed CSV: ${(error as Error).message}`);
  }
  const header = rows[0] ?? [];
  const column = Object.fromEntries(REQUIRED_COLUMNS.map((c) => [c, header.indexOf(c)]));
  const missing = REQUIRED_COLUMNS.filter((c) => (column[c] as number) < 0);
  if (missing.length > 0) throw new DatasetError(csvPath, `header lacks column(s) ${missing.join(', ')}; expected ${REQUIRED_COLUMNS.join(',')}`, 1);

  const { skipped, report } = issueSink(options);
  const available = [...new Set(rows.slice(1).map((r) => r[column.object as number] as string))].sort();
  const categories = new Set(selectCategories(dataRoot, available, options));
  const samples: AnomalySample[] = [];
  const normalReferences: Record<string, string[]> = Object.fromEntries([...categories].map((c) => [c, [] as string[]]));

  for (let i = 1; i < rows.length; i++) {
    const row = rows[i] as string[];
    const line = i + 1;
    const category = row[column.object as number] as string;
    if (!categories.has(category)) continue;
    const split = row[column.split as number];
    const label = row[column.label as number];
    if (split !== 'train' && split !== 'test') {
      report(csvPath, `unknown split ${JSON.stringify(split)} (expected train or test)`, line);
      continue;
    }
    if (label !== 'normal' && label !== 'anomaly') {
      report(csvPath, `unknown label ${JSON.stringify(label)} (expected normal or anomaly)`, line);
      continue;
    }
    let imagePath: string;
    let maskPath: string | undefined;
    try {
      imagePath = resolveInside(dataRoot, row[column.image as number] as string, csvPath, line);
      const mask = row[column.mask as number];
      if (label === 'anomaly') {
        if (!mask) {
          report(csvPath, 'anomalous image has no mask in the mask column', line);
          continue;
        }
        maskPath = resolveInside(dataRoot, mask, csvPath, line);
      }
    } catch (error) {
      if (!(error instanceof DatasetError) || !options.skipInvalid) throw error;
      skipped.push({ path: error.path, reason: error.reason, ...(error.line !== undefined ? { line: error.line } : {}) });
      continue;
    }
    if (!(await isFile(imagePath))) {
      report(imagePath, `image listed on ${csvPath}:${line} not found`);
      continue;
    }
    if (maskPath && !(await isFile(maskPath))) {
      report(maskPath, `mask listed on ${csvPath}:${line} not found`);
      continue;
    }
    const sample: AnomalySample = {
      id: sampleId(dataRoot, imagePath),
      dataset: 'visa',
      category,
      label: label === 'anomaly' ? 'anomalous' : 'normal',
      imagePath,
      split,
      ...(maskPath ? { maskPath, defect: 'anomaly' } : {}),
    };
    samples.push(sample);
    if (split === 'train' && sample.label === 'normal') normalReferences[category]?.push(imagePath);
  }
  // Every path went through resolveInside, which follows links, so nothing here leads out of the root.
  return { name: 'visa', root: dataRoot, samples, normalReferences, skipped };
}
