import { CHECKPOINTS, type RecipeContext, type RecipeFile, imagesPerPrompt } from '../recipe-context';
import { shellScript } from '../shell-script';

export const SERVE_AND_EVAL_FOLDER = 'serve-and-eval';
/** Port `vllm serve` listens on (the reward server has 8000, TRL's vLLM server 8002). */
export const SERVE_PORT = 8001;
/** The name the served model answers to. */
export const SERVED_MODEL_NAME = 'iad-r1';

/** The paper's six benchmarks: `iad-r1-eval --dataset` kind and the variable naming its folder. */
export const BENCHMARKS = [
  { name: 'mvtec', kind: 'mvtec', variable: 'MVTEC_ROOT', title: 'MVTec-AD' },
  { name: 'visa', kind: 'visa', variable: 'VISA_ROOT', title: 'VisA' },
  { name: 'mpdd', kind: 'mpdd', variable: 'MPDD_ROOT', title: 'MPDD' },
  { name: 'dagm', kind: 'dagm', variable: 'DAGM_ROOT', title: 'DAGM' },
  { name: 'dtd', kind: 'dtd', variable: 'DTD_ROOT', title: 'DTD-Synthetic' },
  { name: 'sdd', kind: 'sdd', variable: 'SDD_ROOT', title: 'KolektorSDD' },
] as const;

/** `vllm serve` arguments (vLLM's engine arguments `--limit-mm-per-prompt`, `--mm-processor-kwargs`, …). */
export function vllmServeArgs(context: RecipeContext): string[] {
  const { backbone, grpo } = context;
  return [
    '--served-model-name', SERVED_MODEL_NAME,
    '--host', '127.0.0.1',
    '--port', String(SERVE_PORT),
    '--dtype', 'bfloat16',
    '--max-model-len', String(grpo.maxPromptLength + grpo.maxNewTokens),
    // 1-shot evaluation sends a reference and the query in one request.
    '--limit-mm-per-prompt', JSON.stringify({ image: Math.max(2, imagesPerPrompt(context)) }),
    ...(backbone.family === 'qwen2-vl' ? ['--mm-processor-kwargs', JSON.stringify({ max_pixels: grpo.maxPixels })] : []),
  ];
}

function evalScript(context: RecipeContext): string {
  const label = `${context.backbone.id}-iad-r1`;
  return [
    '#!/usr/bin/env bash',
    `# Evaluate the served model on the paper's six benchmarks, 0-shot and 1-shot (written by iad-r1-recipes).`,
    '# Needs: serve.sh running (or BASE_URL pointing at any OpenAI-compatible server), Node 20, the benchmark folders.',
    '# Set MVTEC_ROOT, VISA_ROOT, MPDD_ROOT, DAGM_ROOT, DTD_ROOT, SDD_ROOT; a benchmark without one is skipped.',
    '# Extra arguments go to every `iad-r1-eval run` (e.g. --limit 50 --concurrency 8). Runs resume when re-run.',
    'set -euo pipefail',
    'cd "$(dirname "$0")"',
    'IAD_R1_EVAL=${IAD_R1_EVAL:-npx --yes -p @iad-r1/eval iad-r1-eval}',
    `BASE_URL=\${BASE_URL:-http://127.0.0.1:${SERVE_PORT}/v1}`,
    `SERVED_MODEL=\${SERVED_MODEL:-${SERVED_MODEL_NAME}}`,
    `LABEL=\${LABEL:-${label}}`,
    'ran=0',
    'evaluate() {',
    '  local name=$1 kind=$2 variable=$3',
    '  local root=${!variable:-}',
    '  if [[ -z "$root" ]]; then echo "skipping $name: set $variable to its folder" >&2; return 0; fi',
    '  local shots',
    '  for shots in 0 1; do',
    '    $IAD_R1_EVAL run --dataset "$kind" --root "$root" --model "openai:$SERVED_MODEL" --base-url "$BASE_URL" \\',
    '      --shots "$shots" --prompt iad-r1 --max-new-tokens 512 --out "runs/$LABEL/$name-${shots}shot" "${EXTRA[@]}"',
    '  done',
    '  ran=$((ran + 1))',
    '}',
    'EXTRA=("$@")',
    ...BENCHMARKS.map((b) => `evaluate ${b.name} ${b.kind} ${b.variable}`),
    'if [[ $ran -eq 0 ]]; then',
    `  echo "no benchmark folder given: set ${BENCHMARKS.map((b) => b.variable).join(', ')}" >&2`,
    '  exit 1',
    'fi',
    '# The paper\'s Table 4 row for this model: every benchmark at 0- and 1-shot, and the averages.',
    'specs=()',
    'for run in "runs/$LABEL"/*-?shot; do specs+=("$run=$LABEL"); done',
    '$IAD_R1_EVAL compare "${specs[@]}" --out "runs/$LABEL/comparison"',
    'echo "results: $(pwd)/runs/$LABEL (summary.json, report.md, report.html per benchmark and k; comparison.md, comparison.html for all)"',
    '',
  ].join('\n');
}

/** Serving the trained model with vLLM and evaluating it with `iad-r1-eval`. */
export function serveAndEvalFolder(context: RecipeContext, defaultModel: string): RecipeFile[] {
  const dir = SERVE_AND_EVAL_FOLDER;
  return [
    {
      path: `${dir}/serve.sh`,
      executable: true,
      content: shellScript({
        about: [`Serve the trained ${context.backbone.title} with vLLM's OpenAI-compatible server (written by iad-r1-recipes).`, 'Needs: 1 GPU, `pip install vllm`. Usage: bash serve.sh [MODEL_DIR] (default below).'],
        setup: [`MODEL=\${1:-${defaultModel}}`, 'shift $(( $# > 0 ? 1 : 0 ))', 'VLLM=${VLLM:-vllm}'],
        command: { program: ['"$VLLM"'], args: ['serve', '"$MODEL"', ...vllmServeArgs(context)] },
      }),
    },
    { path: `${dir}/eval.sh`, executable: true, content: evalScript(context) },
    {
      path: `${dir}/README.md`,
      content: [
        `# Serve and evaluate ${context.backbone.title}`,
        '',
        'Commands, in order:',
        '',
        '```sh',
        `bash serve.sh ${defaultModel} &        # GPU: vLLM on 127.0.0.1:${SERVE_PORT}, model name ${SERVED_MODEL_NAME}`,
        'MVTEC_ROOT=/data/mvtec VISA_ROOT=/data/visa MPDD_ROOT=/data/mpdd \\',
        '  DAGM_ROOT=/data/dagm DTD_ROOT=/data/dtd SDD_ROOT=/data/kolektor bash eval.sh   # no GPU',
        '```',
        '',
        `\`serve.sh\` takes the model folder (any SC-GRPO output once it is a Hugging Face folder, or \`${CHECKPOINTS.paSft}\`) and allows`,
        `${Math.max(2, imagesPerPrompt(context))} images per request, which 1-shot evaluation needs (a normal reference of the same category, then the query).`,
        '`eval.sh` runs `iad-r1-eval run` for each benchmark whose folder is set, 0-shot and 1-shot, with the paper\'s IAD-R1 test prompts,',
        'greedy decoding and 512 new tokens; each run writes `summary.json`, `report.md` and `report.html` under `runs/` and resumes when re-run.',
        'It ends with `iad-r1-eval compare` over all of them: `runs/LABEL/comparison/comparison.md` is the paper\'s Table 4 row for the model',
        '(every benchmark at 0- and 1-shot, and the averages); compare another model\'s runs against it with `iad-r1-eval compare`.',
        'Extra arguments reach every run (`bash eval.sh --limit 50 --concurrency 8`). `BASE_URL`, `SERVED_MODEL` and `LABEL` override the defaults.',
        '',
        '| benchmark | variable | layout (`iad-r1-eval --dataset`) |',
        '| --- | --- | --- |',
        ...BENCHMARKS.map((b) => `| ${b.title} | \`${b.variable}\` | \`${b.kind}\` |`),
        '',
      ].join('\n'),
    },
  ];
}
