import { chmod, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { writeFileAtomic } from '@iad-r1/datasets';
import { BACKBONES, type BackboneId } from './backbones';
import { easyR1Folder, EASYR1_FOLDER } from './engines/easyr1';
import { LLAMA_FACTORY_FOLDER, llamaFactoryFolder } from './engines/llama-factory';
import { OPENRLHF_FOLDER, openRlhfFolder } from './engines/openrlhf';
import { REWARDS_FOLDER, rewardServerFolder } from './engines/reward-server';
import { SERVE_AND_EVAL_FOLDER, serveAndEvalFolder } from './engines/serve-and-eval';
import { TRL_FOLDER, trlFolder } from './engines/trl';
import { VERL_FOLDER, verlFolder } from './engines/verl';
import { type HyperParameterOverrides, paSftHyperParameters, scGrpoHyperParameters } from './hyper-parameters';
import { rewardShimText } from './package-files';
import { CHECKPOINTS, ENGINES, type Engine, type GrpoEngine, type RecipeContext, type RecipeFile, json } from './recipe-context';
import { type Shots, type TrainingSetSource, readTrainingSets } from './training-sets';

/** Options of {@link writeRecipes}. */
export interface WriteRecipesOptions extends TrainingSetSource, HyperParameterOverrides {
  /** Folder to write (created; files in it are replaced). */
  out: string;
  backbone: BackboneId;
  /** Engines to write folders for (default all five). */
  engines?: Engine[];
  /** Reward preset of the reward server: `reference` (the authors' released code, default) or `paper` (eq. 9). */
  preset?: 'reference' | 'paper';
  /** Reward server port (default 8000). */
  rewardPort?: number;
  log?: (line: string) => void;
}

/** What {@link writeRecipes} wrote. */
export interface WrittenRecipes {
  out: string;
  files: string[];
  context: RecipeContext;
}

const FOLDERS: Record<Engine, string> = { 'llama-factory': LLAMA_FACTORY_FOLDER, easyr1: EASYR1_FOLDER, verl: VERL_FOLDER, trl: TRL_FOLDER, openrlhf: OPENRLHF_FOLDER };

/**
 * The model `serve.sh` serves unless told otherwise: a Hugging Face folder an SC-GRPO engine writes
 * directly (TRL, OpenRLHF with --ckpt.save_hf) or after verl's merger (its README); EasyR1's merger
 * writes under the step folder, so that one is given on the command line.
 */
function servedModelDefault(engines: GrpoEngine[]): string {
  for (const engine of ['trl', 'openrlhf', 'verl'] as const) if (engines.includes(engine)) return engine === 'verl' ? `${CHECKPOINTS.scGrpo('verl')}/hf` : CHECKPOINTS.scGrpo(engine);
  return CHECKPOINTS.paSft;
}

function overview(context: RecipeContext, engines: Engine[]): string {
  const { backbone } = context;
  const grpoEngines = engines.filter((e): e is GrpoEngine => e !== 'llama-factory');
  const steps: Array<[string, string]> = [
    ...(engines.includes('llama-factory') ? [[`bash ${LLAMA_FACTORY_FOLDER}/train.sh`, `1. PA-SFT (GPU) → ${CHECKPOINTS.paSft.slice(3)}`] as [string, string]] : []),
    [`bash ${REWARDS_FOLDER}/serve.sh &`, `2. the reward server, preset ${context.preset} (no GPU)`],
    ...grpoEngines.map((e, i): [string, string] => [`bash ${FOLDERS[e]}/train.sh`, `3${grpoEngines.length > 1 ? String.fromCharCode(97 + i) : ''}. SC-GRPO on ${e} (GPU${grpoEngines.length > 1 ? '; pick one' : ''})`]),
    [`bash ${SERVE_AND_EVAL_FOLDER}/serve.sh MODEL_DIR &`, '4. serve the result (GPU)'],
    [`bash ${SERVE_AND_EVAL_FOLDER}/eval.sh`, "5. the six benchmarks, 0- and 1-shot (no GPU)"],
  ];
  return [
    `# IAD-R1 recipes for ${backbone.title}`,
    '',
    'Written by `iad-r1-recipes write`. Each folder runs on its own from any working directory; paths inside are',
    'relative to the folder. The stages share `checkpoints/`. Commands in order (GPU steps need the engine installed):',
    '',
    '```sh',
    ...steps.map(([command, comment]) => `${command.padEnd(44)}# ${comment}`),
    '```',
    '',
    'Each folder has a README with what it needs and the settings it holds; `recipe.json` records how this was written.',
    '',
  ].join('\n');
}

/**
 * Writes ready-to-run folders for the paper's two stages on the Python engines: PA-SFT on
 * LLaMA-Factory, SC-GRPO on EasyR1, verl, TRL and OpenRLHF (all scoring with the iad-r1 reward
 * server), and serving plus evaluation — for one of the paper's seven backbones, with its
 * hyper-parameters. Every file is written atomically; re-running replaces them.
 *
 * @example
 * await writeRecipes({ from: 'out/expert-ad', backbone: 'llava-onevision-si-0.5b', out: 'recipes/ov-0.5b' });
 */
export async function writeRecipes(options: WriteRecipesOptions): Promise<WrittenRecipes> {
  const backbone = BACKBONES[options.backbone];
  if (!backbone) throw new RangeError(`unknown backbone ${JSON.stringify(options.backbone)}; one of ${Object.keys(BACKBONES).join(', ')}`);
  const engines = options.engines ?? [...ENGINES];
  for (const engine of engines) if (!ENGINES.includes(engine)) throw new RangeError(`unknown engine ${JSON.stringify(engine)}; one of ${ENGINES.join(', ')}`);
  if (options.sftEpochs !== undefined && !(Number.isInteger(options.sftEpochs) && options.sftEpochs >= 1)) throw new RangeError(`sftEpochs must be a whole number ≥ 1, got ${options.sftEpochs}`);
  if (options.gpus !== undefined && !(Number.isInteger(options.gpus) && options.gpus >= 2)) throw new RangeError(`gpus must be a whole number ≥ 2 (TRL keeps one for generation), got ${options.gpus}`);
  const shots: Shots[] = [...new Set<Shots>(options.shots ?? [0])].sort();
  const sets = await readTrainingSets({ ...options, shots });
  const context: RecipeContext = {
    backbone,
    sets,
    shots,
    preset: options.preset ?? 'reference',
    sft: paSftHyperParameters(backbone, options),
    grpo: scGrpoHyperParameters(backbone, options),
    rewardShim: rewardShimText(),
    rewardPort: options.rewardPort ?? 8000,
  };
  const grpoEngines = engines.filter((e): e is GrpoEngine => e !== 'llama-factory');
  const writers: Record<Engine, (c: RecipeContext) => RecipeFile[]> = { 'llama-factory': llamaFactoryFolder, easyr1: easyR1Folder, verl: verlFolder, trl: trlFolder, openrlhf: openRlhfFolder };
  const files: RecipeFile[] = [
    ...engines.flatMap((engine) => writers[engine](context)),
    ...rewardServerFolder(context),
    ...serveAndEvalFolder(context, servedModelDefault(grpoEngines)),
    { path: 'README.md', content: overview(context, engines) },
    {
      path: 'recipe.json',
      content: json({
        writtenBy: '@iad-r1/recipes',
        backbone: backbone.id,
        hub: backbone.hub,
        engines,
        preset: context.preset,
        shots,
        inputs: sets.files.map((f) => resolve(f)),
        records: { paSft: Object.fromEntries(shots.map((k) => [k, sets.paSft[k]?.length ?? 0])), scGrpo: Object.fromEntries(shots.map((k) => [k, sets.scGrpo[k]?.length ?? 0])) },
        ...(options.rebase ? { rebase: options.rebase } : {}),
        paSft: context.sft,
        scGrpo: context.grpo,
      }),
    },
  ];
  const out = resolve(options.out);
  for (const file of files) {
    const path = join(out, file.path);
    await mkdir(dirname(path), { recursive: true });
    await writeFileAtomic(path, file.content);
    if (file.executable) await chmod(path, 0o755);
  }
  options.log?.(`wrote ${files.length} files for ${backbone.title} (${engines.join(', ')}; preset ${context.preset}; ${shots.map((k) => `${k}-shot`).join(' + ')}) in ${out}`);
  return { out, files: files.map((f) => f.path), context };
}
