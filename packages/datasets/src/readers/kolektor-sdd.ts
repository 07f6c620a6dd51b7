import { basename, extname, join, resolve } from 'node:path';
import { DatasetError } from '../dataset-error';
import { isEmptyMask, loadMask } from '../images/load-image';
import { isDirectory, isImageFile, issueSink, listFolder, listSubfolders, sampleId, selectCategories, keepFilesInsideRoot } from '../paths';
import type { AnomalyDataset, AnomalySample, ReadOptions } from '../sample';

/**
 * Reads KolektorSDD: `kosNN/PartN.jpg` with `kosNN/PartN_label.bmp`; an all-zero label means
 * normal. All images are `test` (the dataset has no split); the category is `commutator`, and the
 * normal images are the reference pool (exclude the query when you pick one).
 *
 * @example
 * const sdd = await readKolektorSdd('/data/KolektorSDD');
 */
export async function readKolektorSdd(root: string, options: ReadOptions = {}): Promise<AnomalyDataset> {
  const dataRoot = resolve(root);
  if (!(await isDirectory(dataRoot))) throw new DatasetError(dataRoot, 'dataset folder not found');
  const { skipped, report } = issueSink(options);
  const folders = (await listSubfolders(dataRoot)).filter((f) => /^kos\d+/i.test(f));
  if (folders.length === 0) throw new DatasetError(dataRoot, 'no kosNN folders: is this the KolektorSDD root?');
  selectCategories(dataRoot, ['commutator'], options);
  const samples: AnomalySample[] = [];
  const normal: string[] = [];
  for (const folder of folders) {
    const files = (await listFolder(join(dataRoot, folder))).filter(isImageFile);
    const labels = new Set(files.filter((f) => /_label$/i.test(basename(f, extname(f)))));
    const images = files.filter((f) => !labels.has(f));
    const used = new Set<string>();
    for (const image of images) {
      const stem = basename(image, extname(image));
      const label = [...labels].find((l) => basename(l, extname(l)).toLowerCase() === `${stem}_label`.toLowerCase());
      const imagePath = join(dataRoot, folder, image);
      if (!label) {
        report(imagePath, `image has no label mask; expected ${join(dataRoot, folder, `${stem}_label.bmp`)}`);
        continue;
      }
      used.add(label);
      const maskPath = join(dataRoot, folder, label);
      const empty = isEmptyMask(await loadMask(maskPath));
      const base = { id: sampleId(dataRoot, imagePath), dataset: 'sdd', category: 'commutator', imagePath, split: 'test' as const, group: folder };
      if (empty) {
        samples.push({ ...base, label: 'normal' });
        normal.push(imagePath);
      } else {
        samples.push({ ...base, label: 'anomalous', maskPath, defect: 'defect' });
      }
    }
    for (const label of labels) if (!used.has(label)) report(join(dataRoot, folder, label), 'label mask without image');
  }
  // Folder listings follow links: a link out of the root must not reach a model server.
  return keepFilesInsideRoot({ name: 'sdd', root: dataRoot, samples, normalReferences: { commutator: normal }, skipped }, report);
}

/**
 * Reads KolektorSDD2: `{train,test}/<id>.png` with `<id>_GT.png`; an empty ground truth means normal.
 *
 * @example
 * const sdd2 = await readKolektorSdd2('/data/KolektorSDD2');
 */
export async function readKolektorSdd2(root: string, options: ReadOptions = {}): Promise<AnomalyDataset> {
  const dataRoot = resolve(root);
  if (!(await isDirectory(dataRoot))) throw new DatasetError(dataRoot, 'dataset folder not found');
  const { skipped, report } = issueSink(options);
  selectCategories(dataRoot, ['surface'], options);
  const samples: AnomalySample[] = [];
  const normal: string[] = [];
  let found = false;
  for (const split of ['train', 'test'] as const) {
    const folder = join(dataRoot, split);
    if (!(await isDirectory(folder))) continue;
    found = true;
    const files = (await listFolder(folder)).filter(isImageFile);
    const truths = new Set(files.filter((f) => /_GT$/i.test(basename(f, extname(f)))));
    const used = new Set<string>();
    for (const image of files.filter((f) => !truths.has(f))) {
      const stem = basename(image, extname(image));
      const truth = [...truths].find((t) => basename(t, extname(t)) === `${stem}_GT`);
      const imagePath = join(folder, image);
      if (!truth) {
        report(imagePath, `image has no ground truth; expected ${join(folder, `${stem}_GT.png`)}`);
        continue;
      }
      used.add(truth);
      const maskPath = join(folder, truth);
      const base = { id: sampleId(dataRoot, imagePath), dataset: 'sdd2', category: 'surface', imagePath, split };
      if (isEmptyMask(await loadMask(maskPath))) {
        samples.push({ ...base, label: 'normal' });
        if (split === 'train') normal.push(imagePath);
      } else {
        samples.push({ ...base, label: 'anomalous', maskPath, defect: 'defect' });
      }
    }
    for (const truth of truths) if (!used.has(truth)) report(join(folder, truth), 'ground truth without image');
  }
  if (!found) throw new DatasetError(dataRoot, 'no train/ or test/ folder: is this the KolektorSDD2 root?');
  // Folder listings follow links: a link out of the root must not reach a model server.
  return keepFilesInsideRoot({ name: 'sdd2', root: dataRoot, samples, normalReferences: { surface: normal }, skipped }, report);
}
