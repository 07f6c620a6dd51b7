// The two-stage demo's averages over several seeds: per seed, the 0-shot and 1-shot average balanced
// accuracy of each stage and SC-GRPO's gain over PA-SFT; then their mean over the seeds. Each
// seed's averages are taken to one decimal first, as its own table shows them, so that the gains
// and means here agree with the numbers a reader sees in each run's table.

const STAGES = ['base', 'paSft', 'scGrpo'];
const SETTINGS = ['zeroShot', 'oneShot'];
const toTenths = (x) => Math.round(x * 10) / 10;

/**
 * @param {Array<{seed: number, rows: Record<string, Record<string, {average: number}>>}>} results
 *   the `results.json` of each seed's run
 * @returns {{seeds: Array<object>, mean: object, scGrpoNotBelowPaSft: {zeroShot: number, oneShot: number}}}
 *   `scGrpoNotBelowPaSft`: on how many seeds SC-GRPO's average is at least PA-SFT's
 */
export function summariseSeeds(results) {
  if (results.length === 0) throw new RangeError('summariseSeeds needs the results of at least one seed');
  const seeds = results.map((r) => {
    const row = { seed: r.seed };
    for (const stage of STAGES) {
      if (!r.rows?.[stage]) throw new Error(`results of seed ${r.seed}: no "${stage}" row`);
      row[stage] = Object.fromEntries(SETTINGS.map((s) => [s, toTenths(r.rows[stage][s].average)]));
    }
    row.gain = Object.fromEntries(SETTINGS.map((s) => [s, row.scGrpo[s] - row.paSft[s]]));
    return row;
  });
  const meanOf = (pick) => seeds.reduce((sum, row) => sum + pick(row), 0) / seeds.length;
  const mean = Object.fromEntries([...STAGES, 'gain'].map((stage) => [stage, Object.fromEntries(SETTINGS.map((s) => [s, meanOf((row) => row[stage][s])]))]));
  const scGrpoNotBelowPaSft = Object.fromEntries(SETTINGS.map((s) => [s, seeds.filter((row) => row.scGrpo[s] >= row.paSft[s]).length]));
  return { seeds, mean, scGrpoNotBelowPaSft };
}

/** The summary as a Markdown table: one row per seed and the mean, "0-shot / 1-shot" per cell. */
export function seedTable(summary) {
  const pair = (v) => `${v.zeroShot.toFixed(1)} / ${v.oneShot.toFixed(1)}`;
  const signed = (x) => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(1)}`;
  const gain = (v) => `${signed(v.zeroShot)} / ${signed(v.oneShot)}`;
  const line = (label, row) => `| ${label} | ${pair(row.base)} | ${pair(row.paSft)} | ${pair(row.scGrpo)} | ${gain(row.gain)} |`;
  return [
    '| seed | base | + PA-SFT | + SC-GRPO | SC-GRPO − PA-SFT |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...summary.seeds.map((row) => line(String(row.seed), row)),
    line('mean', summary.mean),
  ].join('\n');
}
