import { TextEncodingError } from '@iad-r1/cot-schema';
import { basename, join, resolve } from 'node:path';
import { z } from 'zod';
import { DatasetError } from '../dataset-error';
import { isDirectory, isFile, issueSink, listFolder, resolveInside, sampleId, selectCategories } from '../paths';
import type { AnomalyDataset, AnomalySample, ReadOptions } from '../sample';
import { readTextFile } from '../text-file';

const realIadSampleSchema = z.object({
  category: z.string(),
  anomaly_class: z.string(),
  image_path: z.string().min(1),
  mask_path: z.string().min(1).nullable().optional(),
});

/** Schema of one Real-IAD split file `realiad_jsons/<variant>/<category>.json`. */
export const realIadSplitFileSchema = z.object({
  meta: z.object({ prefix: z.string(), normal_class: z.string() }).passthrough(),
  train: z.array(realIadSampleSchema).default([]),
  test: z.array(realIadSampleSchema).default([]),
});

export interface RealIadOptions extends ReadOptions {
  /** Image folder under the root: `realiad_256`, `realiad_512`, `realiad_1024` or `realiad_raw`; default: the first present, largest first. */
  imageFolder?: string;
  /** Split-file folder relative to the root; default `realiad_jsons/realiad_jsons`. */
  jsonFolder?: string;
  /** Which splits to read; default both. */
  splits?: ReadonlyArray<'train' | 'test'>;
}

const IMAGE_FOLDERS = ['realiad_1024', 'realiad_512', 'realiad_256', 'realiad_raw'];

/**
 * Reads Real-IAD from its JSON splits: each file `{meta: {prefix, normal_class}, train, test}` lists
 * `{category, anomaly_class, image_path, mask_path}`; paths resolve under `<imageFolder>/<prefix>/`.
 * An image is normal when `anomaly_class` equals `normal_class` or it has no mask. The defect code
 * (`AK`, `HS`, …) is kept as `defect` (map it with `coarseTypeOfRealIadCode`), the camera as `view`
 * (`C1`..`C5`) and the physical sample as `group` (`S0001`).
 *
 * @example
 * const realIad = await readRealIad('/data/Real-IAD', { imageFolder: 'realiad_256' });
 */
export async function readRealIad(root: string, options: RealIadOptions = {}): Promise<AnomalyDataset> {
  const dataRoot = resolve(root);
  if (!(await isDirectory(dataRoot))) throw new DatasetError(dataRoot, 'dataset folder not found');
  let imageFolder = options.imageFolder;
  if (!imageFolder) {
    for (const candidate of IMAGE_FOLDERS) if (await isDirectory(join(dataRoot, candidate))) { imageFolder = candidate; break; }
  }
  if (!imageFolder || !(await isDirectory(join(dataRoot, imageFolder)))) {
    throw new DatasetError(join(dataRoot, imageFolder ?? 'realiad_*'), `image folder not found (expected one of ${IMAGE_FOLDERS.join(', ')})`);
  }
  const imageRoot = join(dataRoot, imageFolder);
  const jsonFolder = join(dataRoot, options.jsonFolder ?? join('realiad_jsons', 'realiad_jsons'));
  const jsonFiles = (await listFolder(jsonFolder, 'Real-IAD split folder')).filter((f) => f.endsWith('.json'));
  const available = jsonFiles.map((f) => basename(f, '.json'));
  const categories = selectCategories(jsonFolder, available, options);
  const splits = options.splits ?? ['train', 'test'];
  const { skipped, report } = issueSink(options);
  const samples: AnomalySample[] = [];
  const normalReferences: Record<string, string[]> = {};

  for (const category of categories) {
    const file = join(jsonFolder, `${category}.json`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readTextFile(file));
    } catch (error) {
      if (TextEncodingError.isInstance(error)) throw error;
      throw new DatasetError(file, `malformed JSON: ${(error as Error).message}`);
    }
    const result = realIadSplitFileSchema.safeParse(parsed);
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new DatasetError(file, `field ${issue?.path.join('.')}: ${issue?.message}`);
    }
    const { meta } = result.data;
    normalReferences[category] = [];
    for (const split of splits) {
      for (const [index, item] of result.data[split].entries()) {
        const where = `${file} (${split}[${index}])`;
        let imagePath: string;
        let maskPath: string | undefined;
        try {
          imagePath = resolveInside(imageRoot, join(meta.prefix, item.image_path), where);
          maskPath = item.mask_path ? resolveInside(imageRoot, join(meta.prefix, item.mask_path), where) : undefined;
        } catch (error) {
          if (!(error instanceof DatasetError) || !options.skipInvalid) throw error;
          skipped.push({ path: error.path, reason: error.reason });
          continue;
        }
        const anomalous = item.anomaly_class !== meta.normal_class && maskPath !== undefined;
        if (!(await isFile(imagePath))) {
          report(imagePath, `image listed in ${where} not found`);
          continue;
        }
        if (anomalous && maskPath && !(await isFile(maskPath))) {
          report(maskPath, `mask listed in ${where} not found`);
          continue;
        }
        const view = /_(C\d+)_/.exec(basename(item.image_path))?.[1];
        const group = /(?:^|\/)(S\d+)\//.exec(item.image_path)?.[1];
        samples.push({
          id: sampleId(imageRoot, imagePath),
          dataset: 'real-iad',
          category,
          label: anomalous ? 'anomalous' : 'normal',
          imagePath,
          split,
          ...(anomalous ? { maskPath, defect: item.anomaly_class } : {}),
          ...(view ? { view } : {}),
          ...(group ? { group } : {}),
        });
        if (!anomalous && split === 'train') normalReferences[category].push(imagePath);
      }
    }
  }
  // Every path went through resolveInside, which follows links, so nothing here leads out of the root.
  return { name: 'real-iad', root: imageRoot, samples, normalReferences, skipped };
}
