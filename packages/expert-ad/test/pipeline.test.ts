import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  COARSE_TYPES,
  type ExpertAdRecord,
  expertAdRecordSchema,
  paSftRecordSchema,
  paSftToExpertAd,
  parseOutput,
  parseRecords,
  scGrpoRecordSchema,
  scGrpoToExpertAd,
} from '@iad-r1/cot-schema';
import { generateSyntheticSet } from '@iad-r1/datasets';
import { beforeAll, describe, expect, it } from 'vitest';
import { PAPER_PA_SFT_SHARE, describePairs, loadSource, runExpertAdPipeline, templateDescriber, thinkPairs } from '../src/index';

let data: string;
beforeAll(async () => {
  data = join(mkdtempSync(join(tmpdir(), 'iad-r1-expert-ad-data-')), 'synthetic');
  await generateSyntheticSet({ out: data, seed: 5, size: 32, perCategory: 4 });
});

const jsonl = (file: string): Array<Record<string, unknown>> => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);

describe('the pipeline on the synthetic set with the template describer', () => {
  it('writes valid, balanced, split exports that round-trip through the converters', async () => {
    const out = mkdtempSync(join(tmpdir(), 'iad-r1-expert-ad-run-'));
    const dataset = await loadSource('synthetic', data);
    const result = await runExpertAdPipeline({ dataset, out, describer: templateDescriber({ seed: 5 }), autoAccept: true, seed: 5 });
    if (!result) throw new Error('the pipeline stopped early');

    // 8 training categories × 4 anomalous + 4 normal queries.
    const records = parseRecords(readFileSync(join(out, 'expert-ad.jsonl'), 'utf8'), expertAdRecordSchema);
    expect(records).toHaveLength(64);
    expect(new Set(records.map((r) => r.id)).size).toBe(64);
    expect(records.filter((r) => r.label === 'anomalous')).toHaveLength(32);
    for (const r of records) {
      expect(r.review).toEqual({ status: 'accepted', note: 'auto-accepted' });
      expect(r.referenceImage).toMatch(/\/train\/good\/\d{3}\.png$/);
      if (r.label === 'anomalous') {
        expect(COARSE_TYPES).toContain(r.coarseType);
        // The synthetic folder name is the defect; its coarse type is the generator's.
        expect(r.source.defectCode && r.queryImage.includes(`/test/${r.source.defectCode}/`)).toBe(true);
        expect(r.location?.cells?.length).toBeGreaterThan(0);
      }
    }

    // The template describer names the same fine type in the description and in the CoT.
    const descriptions = new Map(jsonl(join(out, 'descriptions.jsonl')).map((d) => [d.id as string, d.description as string]));
    for (const r of records.filter((x) => x.label === 'anomalous')) expect(descriptions.get(r.id)).toContain(`a ${r.fineType} at the ${r.location?.text}`);

    // Split: the paper's share per label, disjoint, covering everything.
    const paSft = JSON.parse(readFileSync(join(out, 'pa-sft.json'), 'utf8')) as unknown[];
    const paSftOneShot = JSON.parse(readFileSync(join(out, 'pa-sft-1shot.json'), 'utf8')) as unknown[];
    const scGrpo = JSON.parse(readFileSync(join(out, 'sc-grpo.json'), 'utf8')) as unknown[];
    const split = JSON.parse(readFileSync(join(out, 'split.json'), 'utf8')) as { paSft: string[]; scGrpo: string[] };
    expect(paSft).toHaveLength(2 * Math.round(32 * PAPER_PA_SFT_SHARE));
    expect(paSftOneShot).toHaveLength(paSft.length);
    expect(scGrpo).toHaveLength(64 - paSft.length);
    expect(new Set([...split.paSft, ...split.scGrpo]).size).toBe(64);

    const byId = new Map(records.map((r) => [r.id, r]));
    const same = (back: ExpertAdRecord, original: ExpertAdRecord, withThink: boolean) => {
      expect(back.label).toBe(original.label);
      expect(back.queryImage).toBe(original.queryImage);
      expect(back.location?.text).toBe(original.location?.text);
      expect(back.coarseType).toBe(original.coarseType);
      if (withThink) expect(back.think).toBe(original.think);
    };
    paSft.forEach((raw, i) => {
      const record = paSftRecordSchema.parse(raw);
      const original = byId.get(split.paSft[i] as string) as ExpertAdRecord;
      const answer = parseOutput(record.messages.at(-1)?.content ?? '');
      expect(answer.ok && answer.pattern).toBe(original.label === 'anomalous' ? 'anomalous' : 'normal');
      same(paSftToExpertAd(record), original, true);
      const oneShot = paSftRecordSchema.parse(paSftOneShot[i]);
      expect(oneShot.images).toEqual([original.referenceImage, original.queryImage]);
      same(paSftToExpertAd(oneShot), original, true);
    });
    scGrpo.forEach((raw, i) => {
      const record = scGrpoRecordSchema.parse(raw);
      expect(record.id).toBe(split.scGrpo[i]);
      same(scGrpoToExpertAd(record), byId.get(record.id as string) as ExpertAdRecord, false);
    });

    // dataset_info.json: what LLaMA-Factory needs to load the sharegpt files with images.
    const info = JSON.parse(readFileSync(join(out, 'dataset_info.json'), 'utf8'));
    expect(info.iad_r1_pa_sft).toMatchObject({ file_name: 'pa-sft.json', formatting: 'sharegpt', columns: { messages: 'messages', images: 'images' } });
    expect(info.iad_r1_pa_sft_1shot.file_name).toBe('pa-sft-1shot.json');

    // stats.json agrees with a recount of expert-ad.jsonl.
    const stats = JSON.parse(readFileSync(join(out, 'stats.json'), 'utf8'));
    const count = (key: (r: ExpertAdRecord) => string | undefined) => records.reduce<Record<string, number>>((m, r) => {
      const k = key(r);
      if (k) m[k] = (m[k] ?? 0) + 1;
      return m;
    }, {});
    expect(stats.byType).toEqual(count((r) => r.coarseType));
    expect(stats.byLocation).toEqual(count((r) => r.location?.text));
    expect(Object.keys(stats.byCategory).sort()).toEqual(['capsule', 'connector', 'fiber', 'gear', 'plate', 'speckle', 'wood', 'woven']);
    for (const c of Object.values(stats.byCategory) as Array<{ normal: number; anomalous: number }>) expect(c).toEqual({ normal: 4, anomalous: 4 });
    expect(stats.review.autoAccepted).toBe(64);

    // A second run resumes: nothing asked again, same files.
    const before = readFileSync(join(out, 'expert-ad.jsonl'), 'utf8');
    const again = await runExpertAdPipeline({ dataset, out, describer: templateDescriber({ seed: 5 }), autoAccept: true, seed: 5, onStepDone: (step, summary) => summary && step !== 'prepare' && expect(summary.written).toBe(0) });
    expect(again?.records).toHaveLength(64);
    expect(readFileSync(join(out, 'expert-ad.jsonl'), 'utf8')).toBe(before);
    expect(jsonl(join(out, 'descriptions.jsonl'))).toHaveLength(64);

    // Other pairing settings in the same folder are refused, naming the file.
    await expect(runExpertAdPipeline({ dataset, out, describer: templateDescriber(), autoAccept: true, seed: 6 })).rejects.toThrow(/prepare\.json: this run was made with seed = 5, not 6; use another output folder/);
  });

  it('redoes a line cut off by a crash, without duplicates', async () => {
    const out = mkdtempSync(join(tmpdir(), 'iad-r1-expert-ad-torn-'));
    const dataset = await loadSource('synthetic', data, { categories: ['gear', 'wood'] });
    await runExpertAdPipeline({ dataset, out, describer: templateDescriber(), autoAccept: true });
    const file = join(out, 'descriptions.jsonl');
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    // Simulate a crash mid-write: drop the last two records, leave half of one of them.
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, `${lines.slice(0, -2).join('\n')}\n`);
    appendFileSync(file, (lines.at(-2) as string).slice(0, 30));
    const logged: string[] = [];
    const summary = await describePairs({ out, describer: templateDescriber(), log: (l) => logged.push(l) });
    expect(summary).toMatchObject({ total: 16, resumed: 14, written: 2, failed: [] });
    expect(logged.join('\n')).toMatch(/descriptions\.jsonl:15: dropped a line cut off/);
    const ids = jsonl(file).map((d) => d.id);
    expect(ids).toHaveLength(16);
    expect(new Set(ids).size).toBe(16);
    // A bad line in the middle is an error naming file, line and field.
    appendFileSync(file, '{"id":"x"}\n{"id":"y","description":"d","describer":"t"}\n');
    await expect(thinkPairs({ out, describer: templateDescriber() })).rejects.toThrow(/descriptions\.jsonl:17: field description/);
  });
});
