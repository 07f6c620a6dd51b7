import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BpeTokenizer, TinyVLM, TrainingMemoryError, WASM_HEAP_LIMIT, backendMemoryLimit, planTrainingPasses, selectBackend } from '../src/tfjs/index';

let model: TinyVLM;
const config = { imageSize: 8, patchSize: 8, visionWidth: 8, visionLayers: 0, visionHeads: 1, width: 32, layers: 2, heads: 4, mlp: 64, maxSequence: 64 };

beforeAll(async () => {
  await selectBackend({ prefer: 'wasm', log: () => undefined });
  const tokenizer = BpeTokenizer.train(['ka to ri me su na lo pe'], { vocabSize: 60 });
  model = TinyVLM.create({ ...config, vocabSize: tokenizer.size }, tokenizer, { seed: 0 });
});

// By hand, from the formulas in the models README: weights 4·P, and for each trained weight its
// gradient and two AdamW moments 12·P; activations 4·(B·T·layers·(58·H + 11·I + 4.4·heads·T) + 3·B·c·V).
function expectedBytes(rows: number, T: number, completion: number): number {
  const P = model.parameterCount();
  const V = model.config.vocabSize;
  return 16 * P + 4 * (rows * T * 2 * (58 * 32 + 11 * 64 + 4.4 * 4 * T) + 3 * rows * completion * V);
}

describe('planTrainingPasses', () => {
  it('keeps a batch that fits in one pass, and splits one that does not into even passes', () => {
    const roomy = planTrainingPasses(model, { rows: 8, sequenceLength: 40, completionLength: 10, limitBytes: 1e9 });
    expect(roomy).toMatchObject({ rowsPerPass: 8, passes: 1 });
    expect(roomy.bytesPerPass).toBeCloseTo(expectedBytes(8, 40, 10), 0);
    // A budget (80 % of the limit) between 3 and 4 rows: 8 rows need 3 passes, of 3, 3 and 2.
    const limitBytes = (expectedBytes(3, 40, 10) + expectedBytes(4, 40, 10)) / 2 / 0.8;
    expect(planTrainingPasses(model, { rows: 8, sequenceLength: 40, completionLength: 10, limitBytes })).toMatchObject({ rowsPerPass: 3, passes: 3 });
  });

  it('refuses, before any work, a pass of one sequence that cannot fit, naming the sizes and the backend', () => {
    const limitBytes = expectedBytes(1, 40, 10) / 0.8 - 1000;
    expect(() => planTrainingPasses(model, { rows: 8, sequenceLength: 40, completionLength: 10, limitBytes })).toThrow(TrainingMemoryError);
    expect(() => planTrainingPasses(model, { rows: 8, sequenceLength: 40, completionLength: 10, limitBytes })).toThrow(/one 40-token sequence of the iad-r1-tiny-vlm model needs about .* more than the .* one thread has on the wasm backend \(its 32-bit heap\)/);
  });

  it("takes the wasm limit from the installed backend's own heap ceiling", () => {
    // Emscripten's getHeapMax() in the installed tfjs-backend-wasm: the ceiling its heap grows to.
    const require = createRequire(import.meta.url);
    const glue = readFileSync(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), 'tf-backend-wasm.node.js'), 'utf8');
    const ceilings = [...glue.matchAll(/function getHeapMax\(\) \{ return (\d+)/g)].map((m) => Number(m[1]));
    expect(ceilings.length).toBeGreaterThan(0);
    for (const ceiling of ceilings) expect(ceiling).toBe(WASM_HEAP_LIMIT);
    expect(backendMemoryLimit('wasm')).toBe(WASM_HEAP_LIMIT);
  });
});
