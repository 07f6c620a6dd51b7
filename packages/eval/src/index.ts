export { type AnswerStyle, answerStyleOf, extractAnswer } from './answer-extraction';
export { type AnswerRecord, type InterpretationTruth, answerRecordSchema, interpretationTruthSchema } from './answer-record';
export {
  ANSWER_PARSINGS,
  type AnswerOption,
  type AnswerParsing,
  type AnswerScoring,
  DEFAULT_SCORING,
  type ScoredAnswer,
  UNPARSED_POLICIES,
  type UnparsedPolicy,
  YES_NO_OPTIONS,
  authorsAnswer,
  scoredAnswer,
} from './answer-scoring';
export { AnswersFileError, AnswersWriter, readAnswers } from './answers-file';
export { type DatasetMetrics, type DetectionMetrics, type EvaluationSummary, type GroupMetrics, detectionMetrics, summarise } from './metrics';
export {
  type InterpretationJudgement,
  type InterpretationMetrics,
  TYPE_HIT_THRESHOLD,
  defectTypeTruth,
  interpretationMetrics,
  interpretationTruth,
  judgeInterpretation,
} from './interpretation';
export {
  CONSISTENCY_JUDGE_QUESTION,
  type ConsistencyMetrics,
  askConsistencyJudge,
  categoryNames,
  consistencyMetrics,
  reasoningVerdict,
  structureFitsAnswer,
  thinkAgreesWithAnswer,
  thinkNamesOtherObject,
  thinkText,
} from './consistency';
export { type McNemarResult, mcnemar, mcnemarExactP } from './mcnemar';
export { type ImportedAnswers, type PublishedAnswer, importPublishedAnswers, publishedAnswerSchema, writeImportedRun } from './import-answers';
export { type ComparedRun, type ComparisonCell, type ComparisonRow, type RunComparisonTable, compareRuns, readComparedRun } from './compare-runs';
export { MissingReferenceError, chooseReference, chooseReferences } from './reference-selection';
export { type EvaluateOptions, type EvaluationResult, evaluate, rescore, selectQuestions } from './evaluate';
export { type ReportContext, markdownReport } from './reports/markdown-report';
export { htmlReport } from './reports/html-report';
export { comparisonHtml, comparisonMarkdown } from './reports/comparison-report';
export { writeComparison, writeReports } from './reports/write-reports';
export { type RunComparison, lineChartSvg, movingAverage, runComparisonPage, seriesChartSvg } from './reports/run-comparison-page';
