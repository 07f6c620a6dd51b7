import type { RecipeContext, RecipeFile } from '../recipe-context';
import { shellScript } from '../shell-script';

export const REWARDS_FOLDER = 'rewards';

/**
 * Setup lines of every SC-GRPO launch script: the reward server's URL, and a check that it answers
 * with the preset this recipe was written for, so a run never trains against the wrong rewards.
 */
export function rewardServerCheck(context: RecipeContext): string[] {
  const check = [
    'const [url, preset] = process.argv.slice(1);',
    'fetch(url + "/health").then((r) => r.json()).then((h) => {',
    '  if (h.preset !== preset) { console.error(`the reward server at ${url} scores with preset ${h.preset}; this recipe was written for ${preset}`); process.exit(1); }',
    '}, (e) => { console.error(`no reward server at ${url} (${e.cause?.code ?? e.message}); start it with ../rewards/serve.sh`); process.exit(1); });',
  ].join(' ');
  return [`export IAD_R1_REWARD_URL=\${IAD_R1_REWARD_URL:-http://127.0.0.1:${context.rewardPort}}`, `node -e '${check}' "$IAD_R1_REWARD_URL" ${context.preset}`];
}

/** `rewards/serve.sh`: the iad-r1 reward server with the recipe's preset. */
export function rewardServerFolder(context: RecipeContext): RecipeFile[] {
  return [
    {
      path: `${REWARDS_FOLDER}/serve.sh`,
      executable: true,
      content: shellScript({
        about: ['The iad-r1 reward server every SC-GRPO folder posts to (written by iad-r1-recipes).', 'Needs: Node 20 and `npm i -g @iad-r1/rewards` (or npx fetches it). No GPU.', 'Port and preset: IAD_R1_REWARD_PORT (default below), the preset this recipe was written for.'],
        setup: ['IAD_R1_REWARDS=${IAD_R1_REWARDS:-npx --yes -p @iad-r1/rewards iad-r1-rewards}'],
        command: { program: ['$IAD_R1_REWARDS'], args: ['serve', '--port', `"\${IAD_R1_REWARD_PORT:-${context.rewardPort}}"`, '--preset', context.preset] },
      }),
    },
  ];
}
