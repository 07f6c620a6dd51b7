import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { paSftRecordSchema, scGrpoRecordSchema } from '@iad-r1/cot-schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEEPSPEED_ZERO3_KEYS, EASYR1_KEYS, LLAMA_FACTORY_DATASET_KEYS, LLAMA_FACTORY_KEYS, LLAMA_FACTORY_TEMPLATES, OPENRLHF_FLAGS, OPENRLHF_SWITCHES, TRL_GRPO_CONFIG_KEYS, TRL_ROW_COLUMNS, TRL_VLLM_SERVE_FLAGS, VERL_ADDED_KEYS, VERL_KEYS, VLLM_SERVE_FLAGS } from './engine-fields';
import { CLI, expertAdFolder, fakeEngine, leafPaths, pyYaml, python, run, startRewardServer, tempDir } from './recipe-fixtures';

let dir: string;
let integration: string;
let recipe: string;
let engine: ReturnType<typeof fakeEngine>;
const readJson = <T = Record<string, unknown>>(path: string): T => JSON.parse(readFileSync(path, 'utf8')) as T;
const readJsonl = (path: string): Array<Record<string, unknown>> => readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const imageMarkers = (text: string) => text.split('<image>').length - 1;

/** Runs a launch script with the fake engine in place of every engine command. */
async function launch(script: string, env: Record<string, string> = {}, args: string[] = []) {
  const fake = engine.path;
  return run('bash', [script, ...args], { env: { ...process.env, PYTHON: fake, LLAMAFACTORY_CLI: fake, ACCELERATE: fake, TRL: fake, VLLM: fake, ...env } });
}

beforeAll(async () => {
  dir = tempDir('write');
  integration = await expertAdFolder(dir);
  recipe = join(dir, 'recipe');
  engine = fakeEngine(dir);
  const { stdout } = await run('node', [CLI.recipes, 'write', '--from', integration, '--backbone', 'llava-onevision-si-0.5b', '--shots', '0,1', '--out', recipe]);
  expect(stdout).toMatch(/^wrote \d+ files for LLaVA-OneVision-SI-0\.5B \(llama-factory, easyr1, verl, trl, openrlhf; preset reference; 0-shot \+ 1-shot\)/);
}, 180_000);

describe('iad-r1-recipes write: LLaMA-Factory (PA-SFT)', () => {
  it('writes a training YAML of LLaMA-Factory keys with the backbone\'s template and the paper\'s settings', async () => {
    const folder = join(recipe, 'pa-sft-llamafactory');
    const config = await pyYaml<Record<string, unknown>>(join(folder, 'pa_sft.yaml'));
    for (const key of Object.keys(config)) expect(LLAMA_FACTORY_KEYS, `pa_sft.yaml key ${key}`).toHaveProperty([key]);
    expect(LLAMA_FACTORY_TEMPLATES).toContain(config.template);
    // LLaVA-OneVision-SI-0.5B in the authors' PA_SFT_LLaVA_OneVision_SI_0.5B.sh: llava_next_qwen, lr 2e-5, cutoff 8192.
    expect(config).toMatchObject({ model_name_or_path: 'llava-hf/llava-onevision-qwen2-0.5b-si-hf', template: 'llava_next_qwen', learning_rate: 2e-5, cutoff_len: 8192, stage: 'sft', finetuning_type: 'full', num_train_epochs: 2, lr_scheduler_type: 'cosine', warmup_steps: 100, weight_decay: 0.1, bf16: true, per_device_train_batch_size: 1, gradient_accumulation_steps: 2, deepspeed: 'ds_z3_config.json' });
    const deepspeed = readJson(join(folder, String(config.deepspeed)));
    for (const path of leafPaths(deepspeed)) expect(DEEPSPEED_ZERO3_KEYS, `ds_z3_config.json ${path}`).toContain(path);
    expect(deepspeed).toMatchObject({ zero_optimization: { stage: 3, stage3_gather_16bit_weights_on_model_save: true }, bf16: { enabled: 'auto' } });
  });

  it('writes dataset_info.json and data LLaMA-Factory can load: one <image> marker per image, the integration\'s records', async () => {
    const folder = join(recipe, 'pa-sft-llamafactory');
    const config = await pyYaml<{ dataset: string; dataset_dir: string }>(join(folder, 'pa_sft.yaml'));
    const info = readJson<Record<string, Record<string, unknown>>>(join(folder, config.dataset_dir, 'dataset_info.json'));
    expect(config.dataset.split(',')).toEqual(['iad_r1_pa_sft', 'iad_r1_pa_sft_1shot']);
    const source = { iad_r1_pa_sft: 'pa-sft.json', iad_r1_pa_sft_1shot: 'pa-sft-1shot.json' } as const;
    for (const name of config.dataset.split(',') as Array<keyof typeof source>) {
      const entry = info[name] as { file_name: string; formatting: string; columns: Record<string, string>; tags: Record<string, string> };
      expect(Object.keys(entry).sort()).toEqual([...LLAMA_FACTORY_DATASET_KEYS.entry].sort());
      expect(Object.keys(entry.columns)).toEqual(LLAMA_FACTORY_DATASET_KEYS.columns);
      expect(Object.keys(entry.tags)).toEqual(LLAMA_FACTORY_DATASET_KEYS.tags);
      expect(entry.formatting).toBe('sharegpt');
      const records = readJson<unknown[]>(join(folder, config.dataset_dir, entry.file_name)).map((r) => paSftRecordSchema.parse(r));
      expect(records).toEqual(readJson<unknown[]>(join(integration, source[name])));
      for (const record of records) {
        const images = typeof record.images === 'string' ? [record.images] : record.images;
        // LLaMA-Factory's mm_plugin refuses a sample whose <image> count differs from its images.
        expect(imageMarkers(record.messages.map((m) => m.content).join(''))).toBe(images.length);
        expect(images.length).toBe(name === 'iad_r1_pa_sft' ? 1 : 2);
        for (const image of images) expect(existsSync(image)).toBe(true);
      }
    }
  });

  it('train.sh runs llamafactory-cli train from its folder with torchrun forced', async () => {
    const before = engine.calls().length;
    await launch(join(recipe, 'pa-sft-llamafactory', 'train.sh'));
    const call = engine.calls()[before];
    expect(call).toMatchObject({ argv: ['train', 'pa_sft.yaml'], cwd: join(recipe, 'pa-sft-llamafactory'), env: { FORCE_TORCHRUN: '1', NPROC_PER_NODE: '4' } });
    expect(statSync(join(recipe, 'pa-sft-llamafactory', 'train.sh')).mode & 0o111).not.toBe(0);
  });
});

describe('iad-r1-recipes write: SC-GRPO folders', () => {
  let rewards: Awaited<ReturnType<typeof startRewardServer>>;
  beforeAll(async () => {
    rewards = await startRewardServer(recipe);
  });
  afterAll(async () => {
    await rewards.stop();
  });

  it('EasyR1: config.yaml keys are EasyR1 dataclass fields; format_prompt is null; rows split into images by <image>', async () => {
    const folder = join(recipe, 'sc-grpo-easyr1');
    const config = await pyYaml<Record<string, Record<string, unknown>>>(join(folder, 'config.yaml'));
    for (const path of leafPaths(config)) expect(EASYR1_KEYS, `config.yaml ${path}`).toHaveProperty([path]);
    const data = config.data as Record<string, unknown>;
    expect(data.format_prompt).toBeNull();
    expect(data).toMatchObject({ max_response_length: 512, max_pixels: 480_000, max_prompt_length: 8192 });
    expect(config.algorithm).toMatchObject({ adv_estimator: 'grpo', use_kl_loss: true, kl_penalty: 'low_var_kl', kl_coef: 0.04 });
    expect(config.worker).toMatchObject({ rollout: { n: 4, limit_images: 2 }, actor: { optim: { lr: 1e-6 }, model: { model_path: '../checkpoints/pa-sft' } } });
    expect(config.trainer).toMatchObject({ total_epochs: 1 });
    const rows = readJsonl(join(folder, String(data.train_files)));
    const solutions = [...readJson<Array<{ solution: string }>>(join(integration, 'sc-grpo.json')), ...readJson<Array<{ solution: string }>>(join(integration, 'sc-grpo-1shot.json'))].map((r) => r.solution);
    expect(rows.map((r) => r[String(data.answer_key)])).toEqual(solutions);
    for (const row of rows) expect(imageMarkers(String(row[String(data.prompt_key)]))).toBe((row[String(data.image_key)] as string[]).length);
    // The reward file and function EasyR1 loads (verl/workers/reward/function.py: REWARD_TYPE read from the module).
    const [file, name] = String((config.worker as { reward: { reward_function: string } }).reward.reward_function).split(':');
    expect(await python<{ has: boolean; type: string }>(`import importlib.util, json; s = importlib.util.spec_from_file_location("r", ${JSON.stringify(join(folder, file as string))}); m = importlib.util.module_from_spec(s); s.loader.exec_module(m); print(json.dumps({"has": callable(getattr(m, ${JSON.stringify(name)}, None)), "type": m.REWARD_TYPE}))`)).toEqual({ has: true, type: 'batch' });
    const before = engine.calls().length;
    await launch(join(folder, 'train.sh'), { IAD_R1_REWARD_URL: rewards.url });
    expect(engine.calls()[before]).toMatchObject({ argv: ['-m', 'verl.trainer.main', 'config=config.yaml'], cwd: folder });
  });

  it('verl: parquet read back by an independent reader (DuckDB) as lists of structs; overrides are verl config keys', async () => {
    const folder = join(recipe, 'sc-grpo-verl');
    const db = await DuckDBInstance.create(':memory:');
    const connection = await db.connect();
    const parquet = join(folder, 'data', 'train.parquet');
    const types = Object.fromEntries((await connection.runAndReadAll(`DESCRIBE SELECT * FROM '${parquet}'`)).getRowObjectsJson().map((r) => [r.column_name, r.column_type]));
    expect(types).toEqual({
      data_source: 'VARCHAR',
      prompt: 'STRUCT("role" VARCHAR, "content" VARCHAR)[]',
      images: 'STRUCT(image VARCHAR, max_pixels BIGINT)[]',
      ability: 'VARCHAR',
      reward_model: 'STRUCT(style VARCHAR, ground_truth VARCHAR)',
      extra_info: 'STRUCT("index" BIGINT, id VARCHAR, split VARCHAR, problem VARCHAR, shots INTEGER)',
    });
    const rows = (await connection.runAndReadAll(`SELECT * FROM '${parquet}'`)).getRowObjectsJson() as Array<{ prompt: Array<{ role: string; content: string }>; images: Array<{ image: string; max_pixels: string }>; reward_model: { ground_truth: string }; extra_info: { id: string } }>;
    const records = [...readJson<unknown[]>(join(integration, 'sc-grpo.json')), ...readJson<unknown[]>(join(integration, 'sc-grpo-1shot.json'))].map((r) => scGrpoRecordSchema.parse(r));
    expect(rows.map((r) => r.reward_model.ground_truth)).toEqual(records.map((r) => r.solution));
    expect(rows.map((r) => r.extra_info.id)).toEqual(records.map((r) => String(r.id)));
    expect(rows.map((r) => r.images.map((i) => i.image))).toEqual(records.map((r) => (typeof r.image === 'string' ? [r.image] : r.image)));
    for (const row of rows) {
      expect(row.prompt[0]?.role).toBe('user');
      expect(imageMarkers(row.prompt[0]?.content ?? '')).toBe(row.images.length);
      expect(row.images.every((i) => Number(i.max_pixels) === 480_000)).toBe(true);
    }

    const before = engine.calls().length;
    await launch(join(folder, 'train.sh'), { IAD_R1_REWARD_URL: rewards.url });
    const call = engine.calls()[before] as { argv: string[]; cwd: string };
    expect(call.argv.slice(0, 2)).toEqual(['-m', 'verl.trainer.main_ppo']);
    const overrides = Object.fromEntries(call.argv.slice(2).map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]));
    for (const key of Object.keys(overrides)) {
      if (key.startsWith('+')) expect(VERL_ADDED_KEYS, `added key ${key}`).toHaveProperty([key.slice(1)]);
      else expect(VERL_KEYS, `override ${key}`).toHaveProperty([key]);
    }
    expect(overrides).toMatchObject({ 'algorithm.adv_estimator': 'grpo', 'actor_rollout_ref.rollout.n': '4', 'actor_rollout_ref.actor.kl_loss_coef': '0.04', 'actor_rollout_ref.actor.kl_loss_type': 'low_var_kl', 'data.max_response_length': '512', 'trainer.total_epochs': '1', '+actor_rollout_ref.rollout.limit_images': '2', 'custom_reward_function.name': 'compute_score', 'trainer.logger': '["console"]' });
    expect(existsSync(join(folder, overrides['data.train_files'] as string))).toBe(true);
    expect(existsSync(join(folder, overrides['custom_reward_function.path'] as string))).toBe(true);
  });

  it('TRL: GRPOConfig arguments are TRL fields; the script wires the reward functions, their weights and PIL images', async () => {
    const folder = join(recipe, 'sc-grpo-trl');
    const settings = readJson<{ model: string; train_file: string; grpo_config: Record<string, unknown> }>(join(folder, 'trl_config.json'));
    for (const key of Object.keys(settings.grpo_config)) expect(TRL_GRPO_CONFIG_KEYS, `grpo_config.${key}`).toHaveProperty([key]);
    expect(settings.grpo_config).toMatchObject({ num_generations: 4, max_completion_length: 512, beta: 0.04, loss_type: 'grpo', num_train_epochs: 1, use_vllm: true, vllm_mode: 'server' });
    // TRL requires the generation batch (per device × processes × accumulation) to be a multiple of num_generations.
    const c = settings.grpo_config as { per_device_train_batch_size: number; gradient_accumulation_steps: number; num_generations: number };
    expect((c.per_device_train_batch_size * 3 * c.gradient_accumulation_steps) % c.num_generations).toBe(0);

    // Rows: the columns GRPOTrainer reads, one {"type": "image"} part per image (TRL fills them in order), the solution for the rewards.
    for (const row of readJsonl(join(folder, settings.train_file)) as Array<{ prompt: Array<{ content: Array<{ type: string }> }>; images: string[]; solution: string }>) {
      for (const column of TRL_ROW_COLUMNS) expect(row).toHaveProperty([column]);
      expect(row.prompt.flatMap((m) => m.content).filter((p) => p.type === 'image')).toHaveLength(row.images.length);
      expect(typeof row.solution).toBe('string');
    }
    // The script against stand-ins for trl and datasets (the counterparts it drives), with the real shim and reward server.
    const stubs = join(dir, 'trl-stubs');
    await run('mkdir', ['-p', join(stubs, 'trl'), join(stubs, 'datasets')]);
    writeFileSync(join(stubs, 'datasets', '__init__.py'), [
      'class Image: pass',
      'class List:',
      '    def __init__(self, feature): self.feature = feature',
      'class Dataset:',
      '    def __init__(self, rows, cast=None): self.rows, self.cast = rows, cast or {}',
      '    @classmethod',
      '    def from_list(cls, rows): return cls(rows)',
      '    def cast_column(self, name, feature): return Dataset(self.rows, {**self.cast, name: feature})',
      '',
    ].join('\n'));
    writeFileSync(join(stubs, 'trl', '__init__.py'), [
      'import json',
      'seen = {}',
      'class GRPOConfig:',
      '    def __init__(self, **kwargs): self.kwargs = kwargs',
      'class GRPOTrainer:',
      '    def __init__(self, model, reward_funcs, args, train_dataset, processing_class=None):',
      '        seen.update(model=model, args=args.kwargs, cast={k: type(v).__name__ + "/" + type(getattr(v, "feature", None)).__name__ for k, v in train_dataset.cast.items()}, rows=len(train_dataset.rows))',
      '        rows = train_dataset.rows[:3]',
      '        completions = [[{"role": "assistant", "content": "<think>x</think><answer>No</answer>"}] for _ in rows]',
      '        # The keywords GRPOTrainer._calculate_rewards passes: prompts, completions, completion_ids, every column, trainer_state, log_extra, log_metric.',
      '        kwargs = {k: [r[k] for r in rows] for k in rows[0] if k != "prompt"}',
      '        values = [f(prompts=[r["prompt"] for r in rows], completions=completions, completion_ids=[[1]] * len(rows), trainer_state=None, log_extra=None, log_metric=None, **kwargs) for f in reward_funcs]',
      '        weights = args.kwargs["reward_weights"]',
      '        seen["totals"] = [sum(w * v[i] for w, v in zip(weights, values)) for i in range(len(rows))]',
      '        seen["solutions"] = kwargs["solution"]',
      '    def train(self): pass',
      '    def save_model(self, path): seen["saved"] = path; print(json.dumps(seen))',
      '',
    ].join('\n'));
    const seen = await python<{ model: string; args: Record<string, unknown>; cast: Record<string, string>; rows: number; totals: number[]; solutions: string[]; saved: string }>(
      `import os, runpy; os.chdir(${JSON.stringify(folder)}); runpy.run_path("train_sc_grpo.py", run_name="__main__")`,
      { path: [stubs, folder], env: { IAD_R1_REWARD_URL: rewards.url } },
    );
    expect(seen.model).toBe(settings.model);
    expect(seen.cast).toEqual({ images: 'List/Image' });
    expect(seen.rows).toBe(readJsonl(join(folder, settings.train_file)).length);
    expect(Object.keys(seen.args)).toEqual([...Object.keys(settings.grpo_config), 'reward_weights']);
    expect(seen.saved).toBe(settings.grpo_config.output_dir);
    // The weighted sum TRL forms equals the reward CLI's total on the same completions.
    const input = join(dir, 'trl-completions.jsonl');
    writeFileSync(input, seen.solutions.map((solution) => `${JSON.stringify({ completion: '<think>x</think><answer>No</answer>', solution })}\n`).join(''));
    const { stdout } = await run('node', [CLI.rewards, 'score', input, '--preset', 'reference']);
    expect(seen.totals).toEqual(stdout.trim().split('\n').map((l) => JSON.parse(l).total));

    const before = engine.calls().length;
    await launch(join(folder, 'vllm-server.sh'));
    await launch(join(folder, 'train.sh'), { IAD_R1_REWARD_URL: rewards.url });
    const [server, train] = engine.calls().slice(before);
    expect(server?.argv[0]).toBe('vllm-serve');
    for (const flag of server?.argv.filter((a) => a.startsWith('--')) ?? []) expect(TRL_VLLM_SERVE_FLAGS).toContain(flag);
    expect(server?.argv[server.argv.indexOf('--port') + 1]).toBe(String(settings.grpo_config.vllm_server_port));
    expect(server?.env.CUDA_VISIBLE_DEVICES).toBe('0');
    expect(train).toMatchObject({ argv: ['launch', '--num_processes', '3', 'train_sc_grpo.py'], env: { CUDA_VISIBLE_DEVICES: '1,2,3' } });
  });

  it('OpenRLHF: the flags are train_ppo_ray\'s current ones, with the label key, chat template and images per prompt', async () => {
    const folder = join(recipe, 'sc-grpo-openrlhf');
    const before = engine.calls().length;
    await launch(join(folder, 'train.sh'), { IAD_R1_REWARD_URL: rewards.url });
    const call = engine.calls()[before] as { argv: string[] };
    expect(call.argv.slice(0, 2)).toEqual(['-m', 'openrlhf.cli.train_ppo_ray']);
    const flags: Record<string, string | true> = {};
    const args = call.argv.slice(2);
    for (let i = 0; i < args.length; i++) {
      const flag = args[i] as string;
      expect(OPENRLHF_FLAGS, flag).toContain(flag);
      if (OPENRLHF_SWITCHES.includes(flag)) flags[flag] = true;
      else flags[flag] = args[++i] as string;
    }
    expect(flags).toMatchObject({ '--reward.remote_url': `${rewards.url}/get_reward`, '--data.input_key': 'input', '--data.label_key': 'label', '--data.image_key': 'images', '--data.max_images_per_prompt': '2', '--data.apply_chat_template': true, '--rollout.n_samples_per_prompt': '4', '--rollout.max_new_tokens': '512', '--algo.kl.init_coef': '0.04', '--algo.kl.estimator': 'k3', '--algo.kl.use_loss': true, '--algo.advantage.estimator': 'group_norm' });
    const rows = readJsonl(join(folder, flags['--data.prompt_dataset'] as string));
    for (const row of rows) {
      expect(Object.keys(row)).toEqual(expect.arrayContaining(['input', 'label', 'images']));
      expect(imageMarkers(String(row.input))).toBe((row.images as string[]).length);
    }
  });

  it('every SC-GRPO train.sh stops when the reward server is down or scores with another preset', async () => {
    for (const engineFolder of ['sc-grpo-easyr1', 'sc-grpo-verl', 'sc-grpo-trl', 'sc-grpo-openrlhf']) {
      const down = await launch(join(recipe, engineFolder, 'train.sh'), { IAD_R1_REWARD_URL: 'http://127.0.0.1:9' }).then(() => '', (e: { stderr: string }) => e.stderr);
      expect(down).toContain('no reward server at http://127.0.0.1:9');
    }
    const paper = await startRewardServer(recipe, { preset: 'paper' });
    try {
      const mismatch = await launch(join(recipe, 'sc-grpo-verl', 'train.sh'), { IAD_R1_REWARD_URL: paper.url }).then(() => '', (e: { stderr: string }) => e.stderr);
      expect(mismatch).toContain(`the reward server at ${paper.url} scores with preset paper; this recipe was written for reference`);
    } finally {
      await paper.stop();
    }
  });
});

describe('iad-r1-recipes write: serving, errors, options', () => {
  it('lists the seven backbones with the authors\' per-backbone template and learning rate', async () => {
    const { stdout } = await run('node', [CLI.recipes, 'backbones']);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(7);
    // scripts/train/PA_SFT/PA_SFT_Qwen_Instruct_2_VL.sh: --template qwen2_vl --learning_rate 2e-5 --cutoff_len 4096.
    expect(lines[0]).toMatch(/^qwen2-vl-2b\s+Qwen\/Qwen2-VL-2B-Instruct\s+template qwen2_vl\s+PA-SFT lr 0.00002, cutoff 4096; SC-GRPO prompt ≤ 4096$/);
    // scripts/train/PA_SFT/PA_SFT_LLaVA_1_6.sh: --template llava_next_mistral --learning_rate 1e-5 --cutoff_len 8192.
    expect(lines[6]).toMatch(/^llava-1\.6-mistral-7b\s+llava-hf\/llava-v1\.6-mistral-7b-hf\s+template llava_next_mistral\s+PA-SFT lr 0.00001, cutoff 8192/);
  });

  it('serve.sh runs vllm serve with the multi-image limit 1-shot needs', async () => {
    const before = engine.calls().length;
    await launch(join(recipe, 'serve-and-eval', 'serve.sh'), {}, ['/models/mine']);
    const call = engine.calls()[before] as { argv: string[] };
    expect(call.argv.slice(0, 2)).toEqual(['serve', '/models/mine']);
    for (const flag of call.argv.filter((a) => a.startsWith('--'))) expect(VLLM_SERVE_FLAGS).toContain(flag);
    expect(JSON.parse(call.argv[call.argv.indexOf('--limit-mm-per-prompt') + 1] as string)).toEqual({ image: 2 });
    expect(call.argv[call.argv.indexOf('--served-model-name') + 1]).toBe('iad-r1');
  });

  it('names the file, record and field of a bad input, and a missing image', async () => {
    const bad = join(dir, 'bad-sc-grpo.json');
    writeFileSync(bad, JSON.stringify([{ id: 'a', image: '/x.png', problem: 'q', solution: '<answer>No</answer>' }, { id: 'b', image: '/x.png', problem: 'q' }]));
    const error = await run('node', [CLI.recipes, 'write', '--pa-sft', join(integration, 'pa-sft.json'), '--sc-grpo', bad, '--backbone', 'qwen2.5-vl-3b', '--out', join(dir, 'bad')]).catch((e: { stderr: string; code: number }) => e);
    expect(error).toMatchObject({ code: 1, stderr: `iad-r1-recipes: ${bad}: record 1: field solution: Invalid input: expected string, received undefined\n` });
    const noImage = join(dir, 'no-image-sc-grpo.jsonl');
    writeFileSync(noImage, `\n${JSON.stringify({ id: 'a', image: '/nowhere/x.png', problem: 'q', solution: '<answer>No</answer>' })}\n`);
    const absent = await run('node', [CLI.recipes, 'write', '--pa-sft', join(integration, 'pa-sft.json'), '--sc-grpo', noImage, '--backbone', 'qwen2.5-vl-3b', '--out', join(dir, 'bad')]).catch((e: { stderr: string }) => e.stderr);
    expect(absent).toBe(`iad-r1-recipes: ${noImage}: record 0: field image.0: image /nowhere/x.png not found\n`);
    const missing = await run('node', [CLI.recipes, 'write', '--from', join(dir, 'nowhere'), '--backbone', 'qwen2.5-vl-3b', '--out', join(dir, 'bad')]).catch((e: { stderr: string }) => e.stderr);
    expect(missing).toContain(join(dir, 'nowhere', 'pa-sft.json'));
    const image = await run('node', [CLI.recipes, 'write', '--from', integration, '--backbone', 'qwen2.5-vl-3b', '--rebase', '/elsewhere=/mnt/data', '--out', join(dir, 'bad')]).catch((e: { stderr: string }) => e.stderr);
    expect(image).toMatch(/pa-sft\.json: record 0: field images\.0: \S+ is not under --rebase \/elsewhere/);
  });

  it('rebases image paths for the training machine, and writes LoRA with a merge step', async () => {
    const out = join(dir, 'qwen-lora');
    const root = join(dir, 'synthetic');
    await run('node', [CLI.recipes, 'write', '--from', integration, '--backbone', 'qwen2.5-vl-3b', '--engines', 'llama-factory,trl', '--lora', '--rebase', `${root}=/mnt/iad`, '--preset', 'paper', '--out', out]);
    const records = readJson<Array<{ images: string[] }>>(join(out, 'pa-sft-llamafactory', 'data', 'pa_sft.json'));
    expect(records.every((r) => r.images.every((p) => p.startsWith('/mnt/iad/')))).toBe(true);
    const config = await pyYaml<Record<string, unknown>>(join(out, 'pa-sft-llamafactory', 'pa_sft.yaml'));
    expect(config).toMatchObject({ finetuning_type: 'lora', lora_rank: 8, lora_target: 'all', template: 'qwen2_vl', learning_rate: 1e-5, cutoff_len: 4096 });
    const merge = await pyYaml<Record<string, unknown>>(join(out, 'pa-sft-llamafactory', 'merge_lora.yaml'));
    for (const key of Object.keys(merge)) expect(LLAMA_FACTORY_KEYS, `merge_lora.yaml key ${key}`).toHaveProperty([key]);
    expect(merge.adapter_name_or_path).toBe(config.output_dir);
    expect(existsSync(join(out, 'sc-grpo-verl'))).toBe(false);
    expect(readJson(join(out, 'recipe.json'))).toMatchObject({ backbone: 'qwen2.5-vl-3b', engines: ['llama-factory', 'trl'], preset: 'paper', shots: [0], rebase: { from: root, to: '/mnt/iad' } });
    expect(readFileSync(join(out, 'rewards', 'serve.sh'), 'utf8')).toContain('--preset paper');
  });
});
