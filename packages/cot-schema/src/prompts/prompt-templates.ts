import { DEFAULT_QUESTION } from '../records/sc-grpo-record';

/**
 * Prompt texts of the paper's Table 8 (docs/METHOD.md §2), as named constants so prompt variants can
 * be compared. `{image}` marks where an image goes in a multi-image chat message; `{Question}`
 * is replaced by the question (default {@link DEFAULT_QUESTION}).
 */

/** SC-GRPO training prompt, 0-shot. */
export const SC_GRPO_PROMPT_ZERO_SHOT =
  'You are an expert in detecting defects in image. Your task is to detect if there are any defects in the test image.\n{Question}';

/** SC-GRPO training prompt, 1-shot (reference image first, then the test image). */
export const SC_GRPO_PROMPT_ONE_SHOT =
  'You are an expert in detecting defects in image. I will provide you with two images: a reference image (first) showing a normal object without defects, and a test image (second) that needs inspection.Your task is to compare these images and determine if there are any anomalies in the test image. Use the reference image as a baseline for what is considered normal.{Question}';

/**
 * System prompt used when the *base* model is the initial policy (no PA-SFT), spelling out both
 * output formats. docs/METHOD.md names this prompt but does not reproduce its full text, so this is
 * our wording with the same content: the role, the two patterns, and what goes in each tag.
 */
export const BASE_POLICY_SYSTEM_PROMPT =
  'You are an expert in detecting anomalies in industrial images. Inspect the test image for defects such as ' +
  'contamination, foreign objects, scratches, missing parts, deformation, holes, damage or abrasion. ' +
  'First reason step by step inside <think> </think> tags. ' +
  'If the object is normal, reply exactly in this format: <think>your reasoning</think><answer>No</answer>. ' +
  'If there is a defect, give where it is on a 3×3 grid (for example top left, center, bottom right) and its type, ' +
  'exactly in this format: <think>your reasoning</think><location>defect location</location><type>defect type</type><answer>Yes</answer>.';

/** The reference-image preamble the paper's 1-shot test prompts open with. */
export const ONE_SHOT_REFERENCE_PREAMBLE =
  'Following is 1 image of normal sample, which can be used as a template to compare the image being queried. {image} ';

/** IAD-R1 test prompt, 0-shot. */
export const IAD_R1_TEST_PROMPT_ZERO_SHOT = '{image}Are there any defects in the test image?';

/** IAD-R1 test prompt, 1-shot. */
export const IAD_R1_TEST_PROMPT_ONE_SHOT =
  'Following is 1 image of normal sample, which can be used as a template to compare the image being queried. {image} Following is image of test sample: {image} Are there any defects in the test image?';

/** Base-model test prompt, 0-shot. */
export const BASE_TEST_PROMPT_ZERO_SHOT = '{image}Are there any defects in the query image? Please answer by yes or no.';

/** Base-model test prompt, 1-shot. */
export const BASE_TEST_PROMPT_ONE_SHOT = `${IAD_R1_TEST_PROMPT_ONE_SHOT} Please answer by yes or no.`;

/** Anomaly-OV test prompt, 0-shot (the paper gives no `{image}`: the image goes first). */
export const ANOMALY_OV_TEST_PROMPT_ZERO_SHOT =
  "{image}Are there any defects for the object in the image? Please reply with 'Yes' or 'No'.";

/** Anomaly-OV test prompt, 1-shot: the template preamble, then the query image and the question. */
export const ANOMALY_OV_TEST_PROMPT_ONE_SHOT = `${ONE_SHOT_REFERENCE_PREAMBLE}Following is image of test sample: {image} Are there any defects for the object in the image? Please reply with 'Yes' or 'No'.`;

/** AnomalyGPT test prompt, 0-shot. */
export const ANOMALYGPT_TEST_PROMPT_ZERO_SHOT =
  'This is a photo of a object for anomaly detection, which should be round, without any damage, flaw, defect, scratch, hole or broken part. {image} Are there any defects in the test image? Please answer by yes or no.';

/** AnomalyGPT test prompt, 1-shot: our composition (the paper prints only 0-shot): preamble first. */
export const ANOMALYGPT_TEST_PROMPT_ONE_SHOT = `${ONE_SHOT_REFERENCE_PREAMBLE}${ANOMALYGPT_TEST_PROMPT_ZERO_SHOT}`;

/** Anomaly-R1 test prompt, 0-shot. */
export const ANOMALY_R1_TEST_PROMPT_ZERO_SHOT =
  'First output the thinking process in <think> </think> tags and then output the final answer letter in <answer> </answer> tags. {image} Are there any defects in the test image?';

/** Anomaly-R1 test prompt, 1-shot: our composition (the paper prints only 0-shot): preamble first. */
export const ANOMALY_R1_TEST_PROMPT_ONE_SHOT = `${ONE_SHOT_REFERENCE_PREAMBLE}${ANOMALY_R1_TEST_PROMPT_ZERO_SHOT}`;

/** Names of the evaluation prompt families (the baselines row of the paper's Table 1). */
export const TEST_PROMPT_NAMES = ['iad-r1', 'base', 'anomaly-ov', 'anomalygpt', 'anomaly-r1'] as const;
/** An evaluation prompt family. */
export type TestPromptName = (typeof TEST_PROMPT_NAMES)[number];

/** Every evaluation prompt, by family and shot count. */
export const TEST_PROMPTS: Readonly<Record<TestPromptName, { zeroShot: string; oneShot: string }>> = {
  'iad-r1': { zeroShot: IAD_R1_TEST_PROMPT_ZERO_SHOT, oneShot: IAD_R1_TEST_PROMPT_ONE_SHOT },
  base: { zeroShot: BASE_TEST_PROMPT_ZERO_SHOT, oneShot: BASE_TEST_PROMPT_ONE_SHOT },
  'anomaly-ov': { zeroShot: ANOMALY_OV_TEST_PROMPT_ZERO_SHOT, oneShot: ANOMALY_OV_TEST_PROMPT_ONE_SHOT },
  anomalygpt: { zeroShot: ANOMALYGPT_TEST_PROMPT_ZERO_SHOT, oneShot: ANOMALYGPT_TEST_PROMPT_ONE_SHOT },
  'anomaly-r1': { zeroShot: ANOMALY_R1_TEST_PROMPT_ZERO_SHOT, oneShot: ANOMALY_R1_TEST_PROMPT_ONE_SHOT },
};

/**
 * The SC-GRPO training prompt for 0 or 1 reference images, with the question filled in.
 *
 * @example
 * scGrpoTrainingPrompt(0); // 'You are an expert in detecting defects in image. …\nAre there any defects in the query image?'
 */
export function scGrpoTrainingPrompt(shots: 0 | 1, question: string = DEFAULT_QUESTION): string {
  return (shots === 0 ? SC_GRPO_PROMPT_ZERO_SHOT : SC_GRPO_PROMPT_ONE_SHOT).replace('{Question}', question);
}
