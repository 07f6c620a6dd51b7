// A deterministic corpus of completions and solutions that mixes every case the rewards meet:
// right and wrong answers, near-miss formats, type synonyms and misspellings, long thoughts.
const TYPES = ['scratch', 'hole', 'stain', 'foreign object', 'missing part', 'deformation', 'abrasion', 'damage'];
const PREDICTED = ['scratch mark', 'holes', 'dirt', 'debris', 'chip', 'bent', 'wear marks', 'fracture', 'scrach', 'dent', 'surface anomaly', ''];
const LOCATIONS = ['top left', 'top', 'top right', 'left', 'center', 'right', 'bottom left', 'bottom', 'bottom right'];
const PHRASES = ['upper left corner', 'slightly right of the centre', 'lower edge', 'middle', 'near the top', 'bottom right area'];

function lcg(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** @returns {Array<{completion: string, solution: string}>} */
export function syntheticCorpus(n, seed = 1) {
  const rand = lcg(seed);
  const pick = (list) => list[Math.floor(rand() * list.length)];
  const think = () => 'Compared with a normal part, the surface shows '.repeat(1 + Math.floor(rand() * 6));
  const out = [];
  for (let i = 0; i < n; i++) {
    const anomalous = rand() < 0.5;
    const solution = anomalous ? `<location>${pick(LOCATIONS)}</location><type>${pick(TYPES)}</type><answer>Yes</answer>` : '<answer>No</answer>';
    const r = rand();
    let completion;
    if (r < 0.45) completion = `<think>${think()}</think><location>${pick(PHRASES)}</location><type>${pick(PREDICTED)}</type><answer>${pick(['yes', 'Yes', 'no'])}</answer>`;
    else if (r < 0.85) completion = `<think>${think()}</think><answer>${pick(['no', 'No', 'yes', 'maybe'])}</answer>`;
    else if (r < 0.95) completion = `<think>${think()}</think> <answer>yes</answer><location>${pick(PHRASES)}</location>`;
    else completion = think();
    out.push({ completion, solution });
  }
  return out;
}
