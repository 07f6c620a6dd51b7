/** The prompts the describe and think steps send to a VLM; every one can be overridden. */
export interface ExpertAdPrompts {
  /** Describe step, anomalous query: sees reference, query and the outlined copy. */
  describeAnomalous: string;
  /** Describe step, normal query: sees reference and query. */
  describeNormal: string;
  /** Think step, anomalous: distil the description into the three-layer CoT plus a fine type. */
  thinkAnomalous: string;
  /** Think step, normal: distil the description into the three-layer CoT. */
  thinkNormal: string;
}

/**
 * Our wording of the two generation passes of docs/METHOD.md §7. Placeholders: `{category}`,
 * `{type}` (coarse type), `{location}` (grid text), `{description}` (think step only).
 */
export const DEFAULT_EXPERT_AD_PROMPTS: Readonly<ExpertAdPrompts> = {
  describeAnomalous:
    'You are an industrial quality inspector. The first image is a reference showing a normal {category}. ' +
    'The second image is the query under inspection. The third image is the same query with the defective ' +
    'region outlined in red. The defect is of the type "{type}" and lies at the {location} of the image. ' +
    'Compare the query with the reference and describe the defect in detail: where it is, its shape, size, ' +
    'colour and texture, and how the query differs from the reference. Do not mention the red outline or ' +
    'these hints. Begin with "Compared to the reference image, there is".',
  describeNormal:
    'You are an industrial quality inspector. The first image is a reference showing a normal {category}. ' +
    'The second image is the query under inspection, and it has no defect. Compare the two images and ' +
    "describe the query's shape, surface and structure, and how they match the reference. " +
    'Begin with "Compared to the reference image, there is".',
  thinkAnomalous:
    'Below is a detailed comparison of a query image of a {category} with a normal reference image.\n\n' +
    '{description}\n\n' +
    'The query is defective: {type} at the {location}. Rewrite the comparison as a concise reasoning process ' +
    'in three layers: first spatial perception (what is seen and where), then knowledge-driven analysis of ' +
    "the object's integrity, surface and structure, then the decision. Write in the first person as if you " +
    'were looking at the query yourself; do not mention the reference description, an outline or hints. ' +
    'Then name the fine-grained defect type in a few words. Reply in exactly this format and nothing else:\n' +
    '<think>your reasoning</think><type>fine-grained type</type>',
  thinkNormal:
    'Below is a detailed comparison of a query image of a {category} with a normal reference image.\n\n' +
    '{description}\n\n' +
    'The query is normal. Rewrite the comparison as a concise reasoning process in three layers: first ' +
    'spatial perception (what is seen and where), then knowledge-driven analysis of the object\'s integrity, ' +
    'surface and structure, then the decision that there is no defect. Write in the first person as if you ' +
    'were looking at the query yourself; do not mention the reference description. Reply in exactly this ' +
    'format and nothing else:\n<think>your reasoning</think>',
};

/**
 * Fills `{name}` placeholders; an unknown placeholder is left as it is.
 *
 * @example
 * fillPrompt('a {category}', { category: 'gear' }); // 'a gear'
 */
export function fillPrompt(template: string, values: Readonly<Record<string, string | undefined>>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
}
