#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from 'commander';
import { exitWithCliError, setUpCli, wholeNumberArgument } from '@iad-r1/errors';
import { version } from '../package.json';
import { BACKBONES, BACKBONE_IDS, type BackboneId } from './backbones';
import { ENGINES, type Engine } from './recipe-context';
import type { Shots } from './training-sets';
import { writeRecipes } from './write-recipes';

function engineList(value: string): Engine[] {
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const name of names) if (!(ENGINES as readonly string[]).includes(name)) throw new InvalidArgumentError(`unknown engine ${name}; choose from ${ENGINES.join(', ')}`);
  return names as Engine[];
}

function shotList(value: string): Shots[] {
  const shots = value.split(',').map((s) => s.trim());
  for (const k of shots) if (k !== '0' && k !== '1') throw new InvalidArgumentError('0, 1 or 0,1');
  return shots.map(Number) as Shots[];
}

function rebase(value: string): { from: string; to: string } {
  const at = value.indexOf('=');
  if (at <= 0) throw new InvalidArgumentError('OLD=NEW, e.g. /home/me/data=/mnt/data');
  return { from: value.slice(0, at), to: value.slice(at + 1) };
}

const program = setUpCli(
  new Command('iad-r1-recipes')
    .description("Write ready-to-run folders for the paper's runs on the Python engines: PA-SFT on LLaMA-Factory, SC-GRPO on EasyR1, verl, TRL or OpenRLHF with the iad-r1 reward server, then vLLM serving and iad-r1-eval")
    .showHelpAfterError(),
  version,
);

program
  .command('write')
  .description('write the recipe folders for one backbone from an Expert-AD integration folder (or a PA-SFT and an SC-GRPO file)')
  .addOption(new Option('--backbone <id>', 'one of the paper\'s seven backbones').choices(BACKBONE_IDS).makeOptionMandatory())
  .option('--from <dir>', 'iad-r1-expert-ad integrate folder (pa-sft*.json, sc-grpo*.json)')
  .option('--pa-sft <file>', 'PA-SFT records (LLaMA-Factory sharegpt JSON or JSONL) instead of --from')
  .option('--sc-grpo <file>', 'SC-GRPO records ({id, image, problem, solution} JSON or JSONL) instead of --from')
  .requiredOption('--out <dir>', 'folder to write')
  .option('--engines <list>', `comma-separated, from ${ENGINES.join(', ')}`, engineList)
  .addOption(new Option('--preset <name>', 'reward preset of the reward server: reference (the released code) or paper (eq. 9)').choices(['reference', 'paper']).default('reference'))
  .option('--shots <list>', 'train on 0-shot, 1-shot or both (0,1) records', shotList, [0 as Shots])
  .option('--sft-epochs <n>', 'PA-SFT epochs (the paper: 2; the authors\' scripts: 1)', wholeNumberArgument(1))
  .option('--lora', 'PA-SFT with LoRA (then merged) instead of full fine-tuning')
  .option('--lora-rank <n>', 'LoRA rank (default 8)', wholeNumberArgument(1))
  .option('--gpus <n>', 'GPUs on the training node (default 4, as the paper)', wholeNumberArgument(2))
  .option('--rebase <OLD=NEW>', 'rewrite image paths that start with OLD to start with NEW (the training machine\'s data root)', rebase)
  .option('--reward-port <n>', 'reward server port (default 8000)', wholeNumberArgument(1))
  .addHelpText('after', '\nExamples:\n  iad-r1-recipes write --from out/expert-ad --backbone llava-onevision-si-0.5b --out recipes/ov-0.5b\n  iad-r1-recipes write --from out/expert-ad --backbone qwen2.5-vl-7b --engines llama-factory,trl --shots 0,1 --preset paper \\\n    --rebase /home/me/data=/mnt/data --out recipes/qwen-7b')
  .action(async (options: { backbone: BackboneId; from?: string; paSft?: string; scGrpo?: string; out: string; engines?: Engine[]; preset: 'reference' | 'paper'; shots: Shots[]; sftEpochs?: number; lora?: boolean; loraRank?: number; gpus?: number; rebase?: { from: string; to: string }; rewardPort?: number }) => {
    const written = await writeRecipes({ ...options, log: (line) => console.log(line) });
    console.log(`next: ${written.out}/README.md`);
  });

program
  .command('backbones')
  .description('list the backbones with their Hub ids and the authors\' per-backbone settings')
  .action(() => {
    for (const b of Object.values(BACKBONES)) {
      console.log(`${b.id.padEnd(24)} ${b.hub.padEnd(44)} template ${b.llamaFactoryTemplate.padEnd(18)} PA-SFT lr ${b.sftLearningRate}, cutoff ${b.sftCutoffLen}; SC-GRPO prompt ≤ ${b.grpoMaxPromptLength}`);
    }
  });

program.parseAsync().catch((error) => exitWithCliError('iad-r1-recipes', error));
