import { basename, extname, join, resolve } from 'node:path';
import { DatasetError } from '../dataset-error';
import { isDirectory, isImageFile, issueSink, listFolder, listImages, listSubfolders, sampleId, selectCategories, keepFilesInsideRoot } from '../paths';
import type { AnomalyDataset, AnomalySample, ReadOptions } from '../sample';

export interface MvtecLayoutOptions extends ReadOptions {
  /** Name recorded on the samples; default `mvtec`. */
  name?: string;
  /** The folder name of normal images; default `good`. */
  normalFolder?: string;
}

// Mask file candidates for an image stem, in the order datasets name them.
function maskCandidates(stem: string, files: ReadonlySet<string>): string | undefined {
  const direct = [`${stem}_mask.png`, `${stem}.png`, `${stem}_mask.PNG`, `${stem}.PNG`];
  for (const name of direct) if (files.has(name)) return name;
  for (const name of files) {
    const base = basename(name, extname(name));
    if (base === stem || base === `${stem}_mask`) return name;
  }
  return undefined;
}

/**
 * Reads a dataset in the MVTec-AD layout: `<cat>/train/good/*`, `<cat>/test/<defect>/*`, masks in
 * `<cat>/ground_truth/<defect>/<stem>_mask.png` (or `<stem>.png`). Also MPDD, DTD-Synthetic and VisA
 * converted to this layout (`test/good`, `test/bad`, `ground_truth/bad`). An anomalous image
 * without a mask, or a mask without an image, is an error naming the file.
 *
 * @example
 * const mvtec = await readMvtecLayout('/data/mvtec_anomaly_detection');
 * mvtec.samples.filter((s) => s.split === 'test').length; // 1725 on the full MVTec-AD
 */
export async function readMvtecLayout(root: string, options: MvtecLayoutOptions = {}): Promise<AnomalyDataset> {
  const dataRoot = resolve(root);
  const name = options.name ?? 'mvtec';
  const normalFolder = options.normalFolder ?? 'good';
  if (!(await isDirectory(dataRoot))) throw new DatasetError(dataRoot, 'dataset folder not found');
  const { skipped, report } = issueSink(options);

  const folders = await listSubfolders(dataRoot);
  const hasSplit = await Promise.all(folders.map(async (f) => (await isDirectory(join(dataRoot, f, 'train'))) || (await isDirectory(join(dataRoot, f, 'test')))));
  const available = folders.filter((_, i) => hasSplit[i]);
  if (available.length === 0) {
    throw new DatasetError(dataRoot, 'no category folders with train/ or test/ inside: is this the MVTec-layout root?');
  }
  const categories = selectCategories(dataRoot, available, options);

  const samples: AnomalySample[] = [];
  const normalReferences: Record<string, string[]> = {};
  for (const category of categories) {
    const categoryRoot = join(dataRoot, category);
    const trainGood = join(categoryRoot, 'train', normalFolder);
    normalReferences[category] = [];
    for (const file of await listImages(trainGood)) {
      const imagePath = join(trainGood, file);
      normalReferences[category].push(imagePath);
      samples.push({ id: sampleId(dataRoot, imagePath), dataset: name, category, label: 'normal', imagePath, split: 'train' });
    }

    const testRoot = join(categoryRoot, 'test');
    const defects = (await isDirectory(testRoot)) ? await listSubfolders(testRoot) : [];
    for (const defect of defects) {
      const images = await listImages(join(testRoot, defect));
      if (defect === normalFolder) {
        for (const file of images) {
          const imagePath = join(testRoot, defect, file);
          samples.push({ id: sampleId(dataRoot, imagePath), dataset: name, category, label: 'normal', imagePath, split: 'test' });
        }
        continue;
      }
      const maskFolder = join(categoryRoot, 'ground_truth', defect);
      const maskFiles = new Set((await isDirectory(maskFolder)) ? (await listFolder(maskFolder)).filter(isImageFile) : []);
      const used = new Set<string>();
      for (const file of images) {
        const imagePath = join(testRoot, defect, file);
        const stem = basename(file, extname(file));
        const mask = maskCandidates(stem, maskFiles);
        if (!mask) {
          report(imagePath, `anomalous image has no mask; expected ${join(maskFolder, `${stem}_mask.png`)}`);
          continue;
        }
        used.add(mask);
        samples.push({
          id: sampleId(dataRoot, imagePath),
          dataset: name,
          category,
          label: 'anomalous',
          imagePath,
          maskPath: join(maskFolder, mask),
          defect,
          split: 'test',
        });
      }
      for (const mask of maskFiles) {
        if (!used.has(mask)) report(join(maskFolder, mask), `mask without image in ${join(testRoot, defect)}`);
      }
    }
  }
  // Folder listings follow links: a link out of the root must not reach a model server.
  return keepFilesInsideRoot({ name, root: dataRoot, samples, normalReferences, skipped }, report);
}
