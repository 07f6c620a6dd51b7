#!/usr/bin/env node
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { SingleBar } from 'cli-progress';
import { Command, InvalidArgumentError, Option } from 'commander';
import { endQuietlyOnClosedStdout, exitWithCliError, setUpCli, wholeNumberArgument } from '@iad-r1/errors';
import { version } from '../package.json';
import { DatasetError } from './dataset-error';
import { checkImageFile } from './images/load-image';
import { readMmadManifest } from './readers/mmad-manifest';
import { DATASET_KINDS, type DatasetKind, readDataset } from './readers/read-dataset';
import type { AnomalyDataset } from './sample';
import { contactSheet } from './synthetic/contact-sheet';
import { SYNTHETIC_CATEGORIES } from './synthetic/catalog';
import { DEFECT_NAMES } from './synthetic/defects';
import { generateSyntheticSet } from './synthetic/generate-synthetic';
import { readSyntheticSet } from './synthetic/read-synthetic-set';

function summarise(dataset: AnomalyDataset): Record<string, Record<string, number>> {
  const table: Record<string, Record<string, number>> = {};
  for (const s of dataset.samples) {
    const row = (table[`${s.dataset}/${s.category}`] ??= { train: 0, 'test normal': 0, 'test anomalous': 0 });
    const key = s.split === 'train' ? 'train' : s.label === 'normal' ? 'test normal' : 'test anomalous';
    row[key] = (row[key] ?? 0) + 1;
  }
  return table;
}

const program = setUpCli(
  new Command()
    .name('iad-r1-datasets')
    .description('Generate the synthetic industrial defect set, and inspect benchmark folders as distributed.')
    .showHelpAfterError(),
  version,
);

program
  .command('synth')
  .description('generate the synthetic set (MVTec layout, masks, Expert-AD records) deterministically from a seed')
  .requiredOption('--out <dir>', 'output folder')
  .addOption(new Option('--seed <n>', 'random seed').argParser(wholeNumberArgument(0)).default(0))
  .addOption(new Option('--size <px>', 'image side in pixels').argParser(wholeNumberArgument(32)).default(64))
  .addOption(new Option('--per-category <k>', 'K train normals, K test normals and K test anomalies per category').argParser(wholeNumberArgument(1)).default(8))
  .addOption(new Option('--benchmark-per-category <k>', 'the same for the six held-out benchmarks (default: --per-category)').argParser(wholeNumberArgument(1)))
  .option('--force', 'regenerate over a set made with other parameters', false)
  .addHelpText('after', '\nExample:\n  iad-r1-datasets synth --out data/synthetic --seed 0 --size 64 --per-category 8')
  .action(async (options: { out: string; seed: number; size: number; perCategory: number; benchmarkPerCategory?: number; force: boolean }) => {
    const bar = new SingleBar({ format: 'synth |{bar}| {value}/{total} images | {eta_formatted} left', stream: process.stderr, hideCursor: true });
    let started = false;
    const manifest = await generateSyntheticSet({
      out: options.out,
      seed: options.seed,
      size: options.size,
      perCategory: options.perCategory,
      ...(options.benchmarkPerCategory ? { benchmarkPerCategory: options.benchmarkPerCategory } : {}),
      force: options.force,
      onProgress: (done, total) => {
        if (!started) {
          bar.start(total, 0);
          started = true;
        }
        bar.update(done);
      },
    });
    if (started) bar.stop();
    else process.stderr.write(`iad-r1-datasets: ${resolve(options.out)} already holds this set (seed ${manifest.seed}); nothing to do\n`);
    const lines = [
      `synthetic set in ${resolve(options.out)} (seed ${manifest.seed}, ${manifest.size}×${manifest.size} px, ${manifest.perCategory} per category and part)`,
      `  training   ${manifest.training.categories.join(', ')}`,
      ...manifest.benchmarks.map((b) => `  ${b.name.padEnd(10)} ${b.categories.join(', ')} (${b.kind}s, mirrors ${b.mirrors})`),
      `  ${manifest.counts.images} images, ${manifest.counts.masks} masks, ${manifest.counts.expertAdRecords} Expert-AD records`,
      `  defects: ${DEFECT_NAMES.map((d) => `${d} ${manifest.counts.defects[d] ?? 0}`).join(', ')}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  });

program
  .command('inspect')
  .description('read a benchmark folder (or MMAD manifest) as distributed and print what it holds')
  .addOption(new Option('--dataset <kind>', 'dataset layout').choices([...DATASET_KINDS, 'mmad']).makeOptionMandatory())
  .requiredOption('--root <dir>', 'data root')
  .option('--manifest <file>', 'MMAD-style manifest (with --dataset mmad)')
  .option('--skip-invalid', 'report invalid items instead of stopping at the first', false)
  .option('--no-check-images', 'do not decode every image and mask (faster; bad files then show up only when used)')
  .addHelpText('after', '\nExample:\n  iad-r1-datasets inspect --dataset mvtec --root /data/mvtec_anomaly_detection')
  .action(async (options: { dataset: DatasetKind | 'mmad'; root: string; manifest?: string; skipInvalid: boolean; checkImages: boolean }) => {
    let dataset: AnomalyDataset;
    if (options.dataset === 'mmad') {
      if (!options.manifest) throw new InvalidArgumentError('--dataset mmad needs --manifest FILE');
      dataset = await readMmadManifest(options.manifest, { root: options.root, skipInvalid: options.skipInvalid });
    } else {
      dataset = await readDataset(options.dataset, options.root, { skipInvalid: options.skipInvalid });
    }
    console.table(summarise(dataset));
    for (const skip of dataset.skipped) process.stderr.write(`skipped ${skip.path}${skip.line ? `:${skip.line}` : ''}: ${skip.reason}\n`);
    process.stdout.write(`${dataset.samples.length} images${dataset.skipped.length ? `, ${dataset.skipped.length} skipped` : ''}\n`);
    if (options.checkImages) {
      const bad = await undecodableFiles(dataset);
      for (const error of bad) process.stderr.write(`bad file ${error.message}\n`);
      process.stdout.write(bad.length ? `${bad.length} file(s) cannot be decoded (listed above)\n` : 'every image and mask decodes\n');
      if (bad.length) process.exitCode = 1;
    }
  });

/** Every image, mask and reference of a dataset decoded once (4 at a time), with a progress bar. */
async function undecodableFiles(dataset: AnomalyDataset): Promise<DatasetError[]> {
  const files = [...new Set([...dataset.samples.flatMap((s) => [s.imagePath, ...(s.maskPath ? [s.maskPath] : []), ...(s.references ?? [])]), ...Object.values(dataset.normalReferences).flat()])];
  const bar = new SingleBar({ format: 'decode |{bar}| {value}/{total} files | {eta_formatted} left', stream: process.stderr, hideCursor: true });
  bar.start(files.length, 0);
  const bad: DatasetError[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < files.length) {
      const file = files[next++] as string;
      await checkImageFile(file, dataset.root).catch((error: unknown) => {
        if (!DatasetError.isInstance(error)) throw error;
        bad.push(error);
      });
      bar.increment();
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  bar.stop();
  return bad.sort((a, b) => (a.path < b.path ? -1 : 1));
}

program
  .command('contact-sheet')
  .description('write a PNG of test images from a synthetic set, defect masks outlined in red')
  .requiredOption('--root <dir>', 'synthetic set folder')
  .requiredOption('--out <file>', 'PNG to write')
  .addOption(new Option('--tile <px>', 'tile size').argParser(wholeNumberArgument(16)).default(96))
  .addHelpText('after', '\nExample:\n  iad-r1-datasets contact-sheet --root data/synthetic --out sheet.png')
  .action(async (options: { root: string; out: string; tile: number }) => {
    const set = await readSyntheticSet(options.root);
    // First row: normal images of every training category. Then, per defect type, the first
    // example on an object and on a texture of the training set, across categories.
    const test = set.training.samples.filter((s) => s.split === 'test');
    const kind = (category: string): string => SYNTHETIC_CATEGORIES.find((c) => c.name === category)?.kind ?? 'object';
    const normals = set.manifest.training.categories.flatMap((c) => test.filter((s) => s.category === c && s.label === 'normal').slice(0, 1));
    const defects = DEFECT_NAMES.flatMap((d, i) =>
      (['object', 'texture'] as const).flatMap((k) => {
        const candidates = test.filter((s) => s.defect === d && kind(s.category) === k);
        const categories = [...new Set(candidates.map((s) => s.category))];
        const category = categories[i % Math.max(1, categories.length)];
        return candidates.filter((s) => s.category === category).slice(0, 1);
      }),
    );
    const picked = [...normals, ...defects];
    await writeFile(options.out, await contactSheet(picked, { tile: options.tile, columns: 8 }));
    process.stdout.write(`wrote ${picked.length} tiles to ${options.out}\n`);
  });

endQuietlyOnClosedStdout();
program.parseAsync().catch((error: unknown) => exitWithCliError('iad-r1-datasets', error));
