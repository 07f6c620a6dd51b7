export { type Describer } from './describers/describer';
export { type VlmDescriberOptions, vlmDescriber } from './describers/vlm-describer';
export { templateDescriber } from './describers/template-describer';
export { DEFAULT_EXPERT_AD_PROMPTS, type ExpertAdPrompts, fillPrompt } from './prompts';
export { UnknownDefectError } from './defect-type';
// Lives in @iad-r1/datasets (eval reads defect names the same way); re-exported for existing callers.
export { coarseTypeOfDefect } from '@iad-r1/datasets';
export { type PreparePairsOptions, preparePairs } from './prepare-pairs';
export { type PrepareStepOptions, prepareStep } from './prepare-step';
export { type HighlightOptions, highlightDefect, writeHighlight } from './highlight-defect';
export { type GenerationStepOptions, type StepSummary, describePairs } from './describe-step';
export { thinkPairs } from './think-step';
export { type ThinkOutput, expertAdRecordFromPair, parseThinkOutput } from './think-output';
export { type ReviewServer, type ReviewServerOptions, startReviewServer } from './review/review-server';
export { type ExpertAdStats, type IntegrateOptions, type IntegrateResult, integrate } from './integrate';
export { PAPER_PA_SFT_SHARE, type SplitForStagesOptions, type StageSplit, splitForStages } from './split-for-stages';
export { EXPERT_AD_SOURCES, type ExpertAdSource, type LoadSourceOptions, loadSource } from './load-source';
export { type ExpertAdPipelineOptions, type ExpertAdStep, runExpertAdPipeline } from './run-pipeline';
export { JsonlFileError, readJsonlFile } from '@iad-r1/datasets';
export { WORKSPACE_FILES, type WorkspaceState, readWorkspace } from './workspace';
export {
  type DescriptionRecord,
  type PairRecord,
  REVIEW_DECISIONS,
  type ReviewDecision,
  type ThoughtRecord,
  descriptionRecordSchema,
  pairRecordSchema,
  reviewDecisionSchema,
  thoughtRecordSchema,
} from './records';
