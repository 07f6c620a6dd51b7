import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expertAdRecordSchema, parseRecords, scGrpoRecordSchema } from '@iad-r1/cot-schema';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const run = promisify(execFile);

async function image(path: string, grey: number, mask = false): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const size = 48;
  const data = Buffer.alloc(size * size * (mask ? 1 : 3));
  // Masks: a blob in the bottom-right ninth of the image.
  for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
    if (mask) data[y * size + x] = x > 36 && y > 36 ? 255 : 0;
    else for (let c = 0; c < 3; c++) data[(y * size + x) * 3 + c] = (grey + x + c * 20) % 256;
  }
  const png = sharp(data, { raw: { width: size, height: size, channels: mask ? 1 : 3 } });
  writeFileSync(path, mask ? await png.png().toBuffer() : await png.jpeg().toBuffer());
}

describe('iad-r1-expert-ad all --source realiad', () => {
  it('pairs within camera views across physical samples, maps Real-IAD codes, and exports valid sets', async () => {
    const root = mkdtempSync(join(tmpdir(), 'iad-r1-expert-ad-realiad-'));
    const prefix = 'audiojack';
    const train: unknown[] = [];
    const test: unknown[] = [];
    const entry = (split: unknown[], sample: string, view: string, code: string) => {
      const ok = code === 'OK';
      const stem = ok ? `OK/${sample}/audiojack_${sample.slice(1)}_OK_${view}_20230922093458` : `NG/${code}/${sample}/audiojack_${sample.slice(1)}_NG_${code}_${view}_20230922094120`;
      split.push({ category: 'audiojack', anomaly_class: code, image_path: `${stem}.jpg`, mask_path: ok ? null : `${stem}_mask.png` });
      return stem;
    };
    let grey = 10;
    for (const view of ['C1', 'C2']) {
      for (const sample of ['S0001', 'S0002', 'S0003']) await image(join(root, 'realiad_256', prefix, `${entry(train, sample, view, 'OK')}.jpg`), (grey += 7));
      for (const sample of ['S0004', 'S0005']) await image(join(root, 'realiad_256', prefix, `${entry(test, sample, view, 'OK')}.jpg`), (grey += 7));
      for (const [sample, code] of [['S0006', 'AK'], ['S0007', 'ZW']] as const) {
        const stem = entry(test, sample, view, code);
        await image(join(root, 'realiad_256', prefix, `${stem}.jpg`), (grey += 7));
        await image(join(root, 'realiad_256', prefix, `${stem}_mask.png`), 0, true);
      }
    }
    mkdirSync(join(root, 'realiad_jsons/realiad_jsons'), { recursive: true });
    writeFileSync(join(root, 'realiad_jsons/realiad_jsons/audiojack.json'), JSON.stringify({ meta: { prefix, normal_class: 'OK' }, train, test }));

    const out = join(root, 'out');
    const { stderr } = await run(process.execPath, [cli, 'all', '--source', 'realiad', '--root', root, '--image-folder', 'realiad_256', '--out', out, '--auto-accept', '--split', '0.5']);
    expect(stderr).toMatch(/8 records \(4 anomalous, 4 normal\) → PA-SFT 4, SC-GRPO 4/);

    const records = parseRecords(readFileSync(join(out, 'expert-ad.jsonl'), 'utf8'), expertAdRecordSchema);
    expect(records).toHaveLength(8);
    const viewOf = (path: string) => /_(C\d)_/.exec(path)?.[1];
    const sampleOf = (path: string) => /\/(S\d{4})\//.exec(path)?.[1];
    for (const r of records) {
      expect(viewOf(r.referenceImage as string)).toBe(viewOf(r.queryImage));
      expect(r.source.view).toBe(viewOf(r.queryImage));
      expect(sampleOf(r.referenceImage as string)).not.toBe(sampleOf(r.queryImage));
      expect(r.referenceImage).toMatch(/\/OK\/S000[123]\//); // the normal training images
      if (r.label === 'anomalous') {
        expect(r.coarseType).toBe(r.source.defectCode === 'AK' ? 'Hole' : 'Contamination'); // docs/DATA.md: AK pit → Hole, ZW → Contamination
        expect(r.location).toEqual({ text: 'bottom right', cells: [9], gridSize: 3 });
      } else {
        expect(r.queryImage).toMatch(/\/OK\/S000[45]\//);
      }
    }
    const scGrpo = (JSON.parse(readFileSync(join(out, 'sc-grpo.json'), 'utf8')) as unknown[]).map((r) => scGrpoRecordSchema.parse(r));
    for (const r of scGrpo) if (/<answer>Yes/.test(r.solution)) expect(r.solution).toMatch(/^<location>bottom right<\/location><type>(hole|contamination)<\/type><answer>Yes<\/answer>$/);
  });
});
