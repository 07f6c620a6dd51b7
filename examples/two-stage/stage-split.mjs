// The demo's split of the Expert-AD records into the PA-SFT set and the SC-GRPO set, written to
// `split.json` in the demo's output folder (the same shape as `@iad-r1/expert-ad`'s integrate step
// writes) so that the diagnostics train on the set the demo's stage trained on.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Writes `split.json`: `{seed, paSftShare, paSft: ids, scGrpo: ids}`. */
export async function writeStageSplit(out, { seed, paSftShare, paSft, scGrpo }) {
  const ids = (records) => records.map((r) => r.id);
  await writeFile(join(out, 'split.json'), `${JSON.stringify({ seed, paSftShare, paSft: ids(paSft), scGrpo: ids(scGrpo) }, null, 2)}\n`);
}

/** The records of `set` in each stage's set, in `set.expertAd`'s order, from the demo's `split.json`. */
export async function readStageSplit(demoOut, set) {
  const file = join(demoOut, 'split.json');
  const text = await readFile(file, 'utf8').catch((error) => {
    throw new Error(`${file}: ${error.code === 'ENOENT' ? 'not found — run the demo (pnpm demo) first' : error.message}`);
  });
  const split = JSON.parse(text);
  const byId = new Map(set.expertAd.map((r) => [r.id, r]));
  const pick = (stage) => {
    if (!Array.isArray(split[stage])) throw new Error(`${file}: field "${stage}" must be a list of record ids`);
    const wanted = new Set(split[stage]);
    for (const id of wanted) if (!byId.has(id)) throw new Error(`${file}: ${stage} record "${id}" is not in ${join(demoOut, 'data', 'expert-ad.jsonl')}`);
    return set.expertAd.filter((r) => wanted.has(r.id));
  };
  return { paSft: pick('paSft'), scGrpo: pick('scGrpo') };
}
