import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatasetError, readDagm, readDataset, readKolektorSdd, readKolektorSdd2, readMmadManifest, readMvtecLayout, readRealIad, readVisa } from '../src/index';
import { tempRoot, writeBmpMask, writeImage, writeMask, writeText } from './fixture-files';

async function expectDatasetError(promise: Promise<unknown>, path: string, reason: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DatasetError);
  expect((error as DatasetError).path).toBe(path);
  expect((error as DatasetError).reason).toMatch(reason);
}

async function mvtecTree(): Promise<string> {
  const root = tempRoot();
  await writeImage(join(root, 'bottle/train/good/000.png'));
  await writeImage(join(root, 'bottle/train/good/001.png'));
  await writeImage(join(root, 'bottle/test/good/000.png'));
  await writeImage(join(root, 'bottle/test/broken_large/000.png'));
  await writeMask(join(root, 'bottle/ground_truth/broken_large/000_mask.png'));
  await writeImage(join(root, 'screw/test/scratch_head/000.png'));
  await writeMask(join(root, 'screw/ground_truth/scratch_head/000_mask.png'));
  writeText(join(root, 'license.txt'), 'not a category');
  return root;
}

describe('MVTec-AD layout (also MPDD, DTD-Synthetic, converted VisA)', () => {
  it('reads splits, labels, defects, masks and reference pools', async () => {
    const root = await mvtecTree();
    const dataset = await readMvtecLayout(root);
    expect(dataset.samples.map((s) => [s.id, s.split, s.label, s.defect ?? null])).toEqual([
      ['bottle/train/good/000', 'train', 'normal', null],
      ['bottle/train/good/001', 'train', 'normal', null],
      ['bottle/test/broken_large/000', 'test', 'anomalous', 'broken_large'],
      ['bottle/test/good/000', 'test', 'normal', null],
      ['screw/test/scratch_head/000', 'test', 'anomalous', 'scratch_head'],
    ]);
    expect(dataset.samples[2]?.maskPath).toBe(join(root, 'bottle/ground_truth/broken_large/000_mask.png'));
    expect(dataset.normalReferences).toEqual({ bottle: [join(root, 'bottle/train/good/000.png'), join(root, 'bottle/train/good/001.png')], screw: [] });
    expect((await readDataset('mpdd', root, { categories: ['screw'] })).samples.map((s) => s.dataset)).toEqual(['mpdd']);
  });

  it('reads DTD-style good/bad folders with same-name masks', async () => {
    const root = tempRoot();
    await writeImage(join(root, 'Woven_001/train/good/000.png'));
    await writeImage(join(root, 'Woven_001/test/bad/003.png'));
    await writeMask(join(root, 'Woven_001/ground_truth/bad/003.png'));
    const dtd = await readDataset('dtd', root);
    expect(dtd.samples.find((s) => s.label === 'anomalous')?.maskPath).toBe(join(root, 'Woven_001/ground_truth/bad/003.png'));
  });

  it('names the file for a missing mask, a mask without image, a missing folder or category', async () => {
    const root = await mvtecTree();
    await writeImage(join(root, 'bottle/test/contamination/007.png'));
    await expectDatasetError(readMvtecLayout(root), join(root, 'bottle/test/contamination/007.png'), /no mask; expected .*ground_truth\/contamination\/007_mask\.png/);
    const skipping = await readMvtecLayout(root, { skipInvalid: true });
    expect(skipping.skipped).toEqual([{ path: join(root, 'bottle/test/contamination/007.png'), reason: expect.stringMatching(/no mask/) }]);
    expect(skipping.samples).toHaveLength(5);

    const orphan = await mvtecTree();
    await writeMask(join(orphan, 'bottle/ground_truth/broken_large/009_mask.png'));
    await expectDatasetError(readMvtecLayout(orphan), join(orphan, 'bottle/ground_truth/broken_large/009_mask.png'), /mask without image/);

    await expectDatasetError(readMvtecLayout(join(root, 'nope')), join(root, 'nope'), /dataset folder not found/);
    await expectDatasetError(readMvtecLayout(root, { categories: ['cable'] }), join(root, 'cable'), /category "cable" not found \(available: bottle, screw\)/);
  });
});

describe('VisA as distributed (split_csv/1cls.csv)', () => {
  async function visaTree(rows: string[]): Promise<string> {
    const root = tempRoot();
    await writeImage(join(root, 'candle/Data/Images/Normal/0000.JPG'));
    await writeImage(join(root, 'candle/Data/Images/Normal/0001.JPG'));
    await writeImage(join(root, 'candle/Data/Images/Anomaly/000.JPG'));
    await writeMask(join(root, 'candle/Data/Masks/Anomaly/000.png'));
    writeText(join(root, 'split_csv/1cls.csv'), ['object,split,label,image,mask', ...rows].join('\n'));
    return root;
  }
  const good = [
    'candle,train,normal,candle/Data/Images/Normal/0000.JPG,',
    'candle,test,normal,candle/Data/Images/Normal/0001.JPG,',
    'candle,test,anomaly,candle/Data/Images/Anomaly/000.JPG,candle/Data/Masks/Anomaly/000.png',
  ];

  it('reads the split file', async () => {
    const root = await visaTree(good);
    const visa = await readVisa(root);
    expect(visa.samples.map((s) => [s.split, s.label, s.maskPath ?? null])).toEqual([
      ['train', 'normal', null],
      ['test', 'normal', null],
      ['test', 'anomalous', join(root, 'candle/Data/Masks/Anomaly/000.png')],
    ]);
    expect(visa.normalReferences.candle).toEqual([join(root, 'candle/Data/Images/Normal/0000.JPG')]);
  });

  it('names the CSV line for an unknown label, a missing image, a path escaping the root, a bad header', async () => {
    const unknown = await visaTree([...good, 'candle,test,broken,candle/Data/Images/Anomaly/000.JPG,']);
    await expectDatasetError(readVisa(unknown), join(unknown, 'split_csv/1cls.csv'), /unknown label "broken"/);
    const error = await readVisa(unknown).catch((e: DatasetError) => e);
    expect((error as DatasetError).line).toBe(5);

    const missing = await visaTree([...good, 'candle,test,normal,candle/Data/Images/Normal/0099.JPG,']);
    await expectDatasetError(readVisa(missing), join(missing, 'candle/Data/Images/Normal/0099.JPG'), /listed on .*1cls\.csv:5 not found/);

    const escaping = await visaTree([...good, 'candle,test,normal,../../etc/passwd,']);
    await expectDatasetError(readVisa(escaping), join(escaping, 'split_csv/1cls.csv'), /escapes the data root/);
    expect((await readVisa(escaping, { skipInvalid: true })).skipped).toHaveLength(1);

    const header = tempRoot();
    writeText(join(header, 'split_csv/1cls.csv'), 'object,split,image\ncandle,train,x.JPG\n');
    await expectDatasetError(readVisa(header), join(header, 'split_csv/1cls.csv'), /header lacks column\(s\) label, mask/);

    const malformed = tempRoot();
    writeText(join(malformed, 'split_csv/1cls.csv'), 'object,split,label,image,mask\n"candle,train\n');
    await expectDatasetError(readVisa(malformed), join(malformed, 'split_csv/1cls.csv'), /malformed CSV/);
  });
});

describe('DAGM 2007', () => {
  async function dagmTree(labels: string): Promise<string> {
    const root = tempRoot();
    for (const split of ['Train', 'Test']) {
      await writeImage(join(root, `Class1/${split}/0001.PNG`));
      await writeImage(join(root, `Class1/${split}/0002.PNG`));
      await writeMask(join(root, `Class1/${split}/Label/0002_label.PNG`));
      writeText(join(root, `Class1/${split}/Label/Labels.txt`), labels);
    }
    return root;
  }
  const labels = '1\n1\t0\t0001.PNG\t0\t\n2\t1\t0002.PNG\t0\t0002_label.PNG\n';

  it('reads Labels.txt: 2nd column 1 is defective, anything not listed is normal', async () => {
    const root = await dagmTree(labels);
    const dagm = await readDagm(root);
    expect(dagm.samples.map((s) => [s.id, s.label])).toEqual([
      ['Class1/Test/0001', 'normal'],
      ['Class1/Test/0002', 'anomalous'],
      ['Class1/Train/0001', 'normal'],
      ['Class1/Train/0002', 'anomalous'],
    ]);
    expect(dagm.samples[1]?.maskPath).toBe(join(root, 'Class1/Test/Label/0002_label.PNG'));
    expect(dagm.normalReferences.Class1).toEqual([join(root, 'Class1/Train/0001.PNG')]);
  });

  it('names Labels.txt and its line for an unknown label; a missing list or mask', async () => {
    const root = await dagmTree('1\n1\tx\t0001.PNG\t0\t\n');
    await expectDatasetError(readDagm(root), join(root, 'Class1/Test/Label/Labels.txt'), /unknown label "x"/);
    const missingMask = await dagmTree('1\n1\t1\t0001.PNG\t0\t0001_label.PNG\n');
    await expectDatasetError(readDagm(missingMask), join(missingMask, 'Class1/Test/Label/0001_label.PNG'), /mask of 0001\.PNG listed in .* not found/);
    const noList = tempRoot();
    await writeImage(join(noList, 'Class2/Train/0001.PNG'));
    await expectDatasetError(readDagm(noList), join(noList, 'Class2/Train/Label/Labels.txt'), /label list not found/);
  });
});

describe('KolektorSDD and KolektorSDD2', () => {
  it('treats an all-zero label as normal (BMP labels in SDD)', async () => {
    const root = tempRoot();
    await writeImage(join(root, 'kos01/Part0.jpg'));
    writeBmpMask(join(root, 'kos01/Part0_label.bmp'));
    await writeImage(join(root, 'kos01/Part1.jpg'));
    writeBmpMask(join(root, 'kos01/Part1_label.bmp'), 8, [[3, 3]]);
    const sdd = await readKolektorSdd(root);
    expect(sdd.samples.map((s) => [s.id, s.label])).toEqual([
      ['kos01/Part0', 'normal'],
      ['kos01/Part1', 'anomalous'],
    ]);
    await writeImage(join(root, 'kos02/Part5.jpg'));
    await expectDatasetError(readKolektorSdd(root), join(root, 'kos02/Part5.jpg'), /no label mask/);
  });

  it('reads SDD2 train/test with _GT masks', async () => {
    const root = tempRoot();
    await writeImage(join(root, 'train/10000.png'));
    await writeMask(join(root, 'train/10000_GT.png'), 8, []);
    await writeImage(join(root, 'test/20000.png'));
    await writeMask(join(root, 'test/20000_GT.png'), 8, [[1, 1]]);
    const sdd2 = await readKolektorSdd2(root);
    expect(sdd2.samples.map((s) => [s.split, s.label])).toEqual([
      ['train', 'normal'],
      ['test', 'anomalous'],
    ]);
    await writeMask(join(root, 'test/30000_GT.png'));
    await expectDatasetError(readKolektorSdd2(root), join(root, 'test/30000_GT.png'), /ground truth without image/);
  });
});

describe('Real-IAD JSON splits', () => {
  async function realIadTree(json: unknown): Promise<string> {
    const root = tempRoot();
    const ok = 'audiojack/OK/S0001/audiojack_0001_OK_C1_20230922093458.jpg';
    const ng = 'audiojack/NG/HS/S0002/audiojack_0002_NG_HS_C3_20230922094120.jpg';
    await writeImage(join(root, 'realiad_256', ok));
    await writeImage(join(root, 'realiad_256', ng));
    await writeMask(join(root, 'realiad_256', ng.replace('.jpg', '_mask.png')));
    writeText(join(root, 'realiad_jsons/realiad_jsons/audiojack.json'), typeof json === 'string' ? json : JSON.stringify(json));
    return root;
  }
  const split = {
    meta: { prefix: 'audiojack', normal_class: 'OK', pre_transform: false },
    train: [{ category: 'audiojack', anomaly_class: 'OK', image_path: 'OK/S0001/audiojack_0001_OK_C1_20230922093458.jpg', mask_path: null }],
    test: [
      {
        category: 'audiojack',
        anomaly_class: 'HS',
        image_path: 'NG/HS/S0002/audiojack_0002_NG_HS_C3_20230922094120.jpg',
        mask_path: 'NG/HS/S0002/audiojack_0002_NG_HS_C3_20230922094120_mask.png',
      },
    ],
  };

  it('resolves paths under <imageFolder>/<prefix>/ and keeps code, view and sample', async () => {
    const root = await realIadTree(split);
    const data = await readRealIad(root);
    expect(data.samples.map((s) => [s.split, s.label, s.defect ?? null, s.view, s.group])).toEqual([
      ['train', 'normal', null, 'C1', 'S0001'],
      ['test', 'anomalous', 'HS', 'C3', 'S0002'],
    ]);
    expect(data.samples[1]?.maskPath).toBe(join(root, 'realiad_256/audiojack/NG/HS/S0002/audiojack_0002_NG_HS_C3_20230922094120_mask.png'));
  });

  it('names the JSON file for malformed JSON, a wrong field, a path escaping the root', async () => {
    const malformed = await realIadTree('{"meta": ');
    await expectDatasetError(readRealIad(malformed), join(malformed, 'realiad_jsons/realiad_jsons/audiojack.json'), /malformed JSON/);
    const wrong = await realIadTree({ ...split, meta: { prefix: 3, normal_class: 'OK' } });
    await expectDatasetError(readRealIad(wrong), join(wrong, 'realiad_jsons/realiad_jsons/audiojack.json'), /field meta\.prefix/);
    const escaping = await realIadTree({ ...split, train: [{ ...split.train[0], image_path: '../../../x.jpg' }] });
    await expectDatasetError(readRealIad(escaping), join(escaping, 'realiad_jsons/realiad_jsons/audiojack.json (train[0])'), /escapes the data root/);
  });
});

describe('MMAD-style manifests', () => {
  const entry = (answer: string, templates: string[] = []) => ({
    conversation: [{ Question: 'Is there any defect in the object?', Answer: answer, Options: { A: 'Yes.', B: 'No.' }, type: 'Anomaly Detection' }],
    similar_templates: templates,
    random_templates: [],
  });

  it('takes labels from answer letters, datasets and categories from the path, templates as references', async () => {
    const root = tempRoot();
    await writeImage(join(root, 'DS-MVTec/bottle/image/good/001.png'));
    await writeImage(join(root, 'DS-MVTec/bottle/image/broken/000.png'));
    writeText(
      join(root, 'mmad.json'),
      JSON.stringify({
        'DS-MVTec/bottle/image/broken/000.png': entry('A', ['DS-MVTec/bottle/image/good/001.png']),
        'DS-MVTec/bottle/image/good/001.png': entry('B'),
      }),
    );
    const mmad = await readMmadManifest(join(root, 'mmad.json'), { root });
    expect(mmad.samples.map((s) => [s.dataset, s.category, s.label, s.references?.length])).toEqual([
      ['DS-MVTec', 'bottle', 'anomalous', 1],
      ['DS-MVTec', 'bottle', 'normal', 0],
    ]);
  });

  it('names the manifest for escaping paths, unknown labels, missing files and bad shapes', async () => {
    const root = tempRoot();
    await writeImage(join(root, 'DTD/Woven/bad/000.png'));
    const file = join(root, 'm.json');
    writeText(file, JSON.stringify({ 'DTD/Woven/bad/000.png': entry('A', ['../outside.png']) }));
    await expectDatasetError(readMmadManifest(file, { root }), `${file} (entry "DTD/Woven/bad/000.png")`, /escapes the data root/);
    writeText(file, JSON.stringify({ 'DTD/Woven/bad/000.png': entry('C') }));
    await expectDatasetError(readMmadManifest(file, { root }), file, /unknown label/);
    writeText(file, JSON.stringify({ 'DTD/Woven/bad/001.png': entry('A') }));
    await expectDatasetError(readMmadManifest(file, { root }), join(root, 'DTD/Woven/bad/001.png'), /not found/);
    writeText(file, JSON.stringify({ 'DTD/Woven/bad/000.png': { conversation: 'x' } }));
    await expectDatasetError(readMmadManifest(file, { root }), file, /entry "DTD\/Woven\/bad\/000\.png", field conversation/);
    // A path that stays inside the root but is a link out of it (here to a file named like /etc/passwd).
    const outside = join(tempRoot(), 'passwd');
    writeText(outside, 'root:x:0:0');
    symlinkSync(outside, join(root, 'DTD/Woven/bad/002.png'));
    writeText(file, JSON.stringify({ 'DTD/Woven/bad/002.png': entry('A') }));
    await expectDatasetError(readMmadManifest(file, { root }), `${file} (entry "DTD/Woven/bad/002.png")`, new RegExp(`is a link to ${outside}, outside the data root`));
  });
});

describe('links out of the data root', () => {
  it('are refused (or skipped with skipInvalid) in folder layouts, for images, masks and folders', async () => {
    const root = await mvtecTree();
    const elsewhere = tempRoot();
    await writeImage(join(elsewhere, 'secret.png'));
    symlinkSync(join(elsewhere, 'secret.png'), join(root, 'bottle/train/good/002.png'));
    await expectDatasetError(readMvtecLayout(root), join(root, 'bottle/train/good/002.png'), new RegExp(`is a link to ${join(elsewhere, 'secret.png')}, outside the data root`));
    const skipping = await readMvtecLayout(root, { skipInvalid: true });
    expect(skipping.normalReferences.bottle).toEqual([join(root, 'bottle/train/good/000.png'), join(root, 'bottle/train/good/001.png')]);
    expect(skipping.skipped.map((s) => s.path)).toEqual([join(root, 'bottle/train/good/002.png')]);
    // A linked folder leads out too; a link that stays inside the root is fine.
    const linkedRoot = await mvtecTree();
    mkdirSync(join(elsewhere, 'good'));
    await writeImage(join(elsewhere, 'good', '000.png'));
    mkdirSync(join(linkedRoot, 'screw/train'));
    symlinkSync(join(elsewhere, 'good'), join(linkedRoot, 'screw/train/good'), 'dir');
    await expect(readMvtecLayout(linkedRoot)).rejects.toThrow(/outside the data root/);
    const inside = await mvtecTree();
    symlinkSync(join(inside, 'bottle/train/good/000.png'), join(inside, 'bottle/train/good/003.png'));
    expect((await readMvtecLayout(inside)).normalReferences.bottle).toHaveLength(3);
    // A root that is itself a link (a dataset kept on another disk) reads as usual.
    const linkToRoot = join(tempRoot(), 'mvtec-link');
    symlinkSync(await mvtecTree(), linkToRoot, 'dir');
    expect((await readMvtecLayout(linkToRoot)).samples).toHaveLength(5);
  });
});
