import { TextEncodingError } from '@iad-r1/cot-schema';
import { basename, extname, join, resolve } from 'node:path';
import { DatasetError } from '../dataset-error';
import { isDirectory, isFile, isImageFile, issueSink, listFolder, listImages, listSubfolders, sampleId, selectCategories, keepFilesInsideRoot } from '../paths';
import type { AnomalyDataset, AnomalySample, ReadOptions } from '../sample';
import { readTextFile } from '../text-file';

/**
 * Reads DAGM 2007: `ClassN/{Train,Test}/NNNN.PNG`, masks `ClassN/{Train,Test}/Label/NNNN_label.PNG`,
 * and `Label/Labels.txt` (a header line, then tab-separated rows whose 2nd column is 1 for a
 * defective image, 3rd the image file, 5th the mask file). Images not listed as defective are normal.
 *
 * @example
 * const dagm = await readDagm('/data/DAGM_KaggleUpload');
 */
export async function readDagm(root: string, options: ReadOptions = {}): Promise<AnomalyDataset> {
  const dataRoot = resolve(root);
  if (!(await isDirectory(dataRoot))) throw new DatasetError(dataRoot, 'dataset folder not found');
  const { skipped, report } = issueSink(options);
  const available = (await listSubfolders(dataRoot)).filter((f) => /^Class\d+/i.test(f));
  if (available.length === 0) throw new DatasetError(dataRoot, 'no ClassN folders: is this the DAGM 2007 root?');
  const categories = selectCategories(dataRoot, available, options);
  const samples: AnomalySample[] = [];
  const normalReferences: Record<string, string[]> = {};

  for (const category of categories) {
    normalReferences[category] = [];
    for (const splitFolder of await listSubfolders(join(dataRoot, category))) {
      const split = splitFolder.toLowerCase();
      if (split !== 'train' && split !== 'test') continue;
      const folder = join(dataRoot, category, splitFolder);
      const labelFolder = join(folder, 'Label');
      const labelsFile = join(labelFolder, 'Labels.txt');
      let text: string;
      try {
        text = await readTextFile(labelsFile);
      } catch (error) {
        if (TextEncodingError.isInstance(error)) throw error;
        throw new DatasetError(labelsFile, 'DAGM label list not found');
      }
      const defective = new Map<string, string>(); // image file → mask file
      const lines = text.split(/\r?\n/);
      for (let i = 1; i < lines.length; i++) {
        const raw = lines[i]?.trim();
        if (!raw) continue;
        const cols = raw.split(/\t|\s+/);
        const flag = cols[1];
        if (flag !== '0' && flag !== '1') {
          report(labelsFile, `unknown label ${JSON.stringify(flag)} in column 2 (expected 0 or 1)`, i + 1);
          continue;
        }
        if (flag === '1') {
          const image = cols[2];
          const mask = cols[4];
          if (!image || !mask) {
            report(labelsFile, 'defective row lacks the image (column 3) or mask (column 5) file name', i + 1);
            continue;
          }
          defective.set(image, mask);
        }
      }

      const images = await listImages(folder);
      const imageSet = new Set(images);
      for (const [image, mask] of defective) {
        if (!imageSet.has(image)) report(join(folder, image), `image listed as defective in ${labelsFile} not found`);
        else if (!(await isFile(join(labelFolder, mask)))) report(join(labelFolder, mask), `mask of ${image} listed in ${labelsFile} not found`);
      }
      const masks = (await isDirectory(labelFolder)) ? (await listFolder(labelFolder)).filter(isImageFile) : [];
      const listedMasks = new Set(defective.values());
      for (const mask of masks) {
        if (!listedMasks.has(mask)) {
          const stem = basename(mask, extname(mask)).replace(/_label$/i, '');
          if (!images.some((f) => basename(f, extname(f)) === stem)) report(join(labelFolder, mask), `mask without image in ${folder}`);
        }
      }

      for (const image of images) {
        const imagePath = join(folder, image);
        const mask = defective.get(image);
        if (mask !== undefined && !(await isFile(join(labelFolder, mask)))) continue;
        const base = { id: sampleId(dataRoot, imagePath), dataset: 'dagm', category, imagePath, split: split as 'train' | 'test' };
        if (mask !== undefined) {
          samples.push({ ...base, label: 'anomalous', maskPath: join(labelFolder, mask), defect: 'defect' });
        } else {
          samples.push({ ...base, label: 'normal' });
          if (split === 'train') normalReferences[category].push(imagePath);
        }
      }
    }
  }
  // Folder listings follow links: a link out of the root must not reach a model server.
  return keepFilesInsideRoot({ name: 'dagm', root: dataRoot, samples, normalReferences, skipped }, report);
}
