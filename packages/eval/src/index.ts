export { type AnswerStyle, answerStyleOf, extractAnswer } from './answer-extraction';
export { type AnswerRecord, answerRecordSchema } from './answer-record';
export { AnswersFileError, AnswersWriter, readAnswers } from './answers-file';
export { type DatasetMetrics, type DetectionMetrics, type EvaluationSummary, detectionMetrics, summarise } from './metrics';
export { MissingReferenceError, chooseReference } from './reference-selection';
export { type EvaluateOptions, type EvaluationResult, evaluate, rescore, selectQuestions } from './evaluate';
export { type ReportContext, markdownReport } from './reports/markdown-report';
export { htmlReport } from './reports/html-report';
export { writeReports } from './reports/write-reports';
