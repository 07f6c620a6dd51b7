export * from './anomaly-taxonomy';
