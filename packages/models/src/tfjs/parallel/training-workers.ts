import { selectBackend } from '../select-backend';
import type { Variable } from '../tf';
import type { TrainableModel } from '../trainable/trainable-model';
import { DataParallelPool } from './data-parallel-pool';
import { createWorkerModelFolder, removeWorkerModelFolder } from './worker-model-folders';

/** Options of {@link startTrainingWorkers}. */
export interface TrainingWorkersOptions {
  /** Threads in all, the calling one included; 1 or less starts nothing. */
  workers: number;
  /** The model as training starts (adapters attached, checkpoint restored): saved once for the workers to load. */
  model: TrainableModel;
  /** The trained variables, in gradient order. */
  variables: ReadonlyArray<readonly [string, Variable]>;
  /** Variables of the trainer's own among `variables` (see `DataParallelPool`). */
  trainerVariables?: readonly string[];
  referenceDir?: string;
  handlerModules?: readonly string[];
  log?: (line: string) => void;
}

/** A started pool and how to stop it (the temporary copy of the model is deleted). */
export interface TrainingWorkers {
  pool: DataParallelPool;
  close(): Promise<void>;
}

/**
 * Starts the worker threads of a data-parallel run: saves the model into a temporary folder, starts
 * `workers − 1` threads that load it on the backend this thread uses, and says so in the log.
 * Resolves to undefined when `workers` ≤ 1.
 *
 * @example
 * const workers = await startTrainingWorkers({ workers: 2, model, variables });
 * try { … workers?.pool.run('sft-gradients', [{ examples }]) … } finally { await workers?.close(); }
 */
export async function startTrainingWorkers(options: TrainingWorkersOptions): Promise<TrainingWorkers | undefined> {
  if (!Number.isInteger(options.workers) || options.workers < 1) throw new RangeError(`workers must be a positive integer, not ${options.workers}`);
  if (options.workers <= 1) return undefined;
  const started = Date.now();
  const { backend } = await selectBackend({ log: () => undefined });
  const dir = await createWorkerModelFolder();
  try {
    await options.model.save(dir);
    const pool = await DataParallelPool.start({
      threads: options.workers - 1,
      modelDir: dir,
      variables: options.variables,
      backend,
      ...(options.trainerVariables ? { trainerVariables: options.trainerVariables } : {}),
      ...(options.referenceDir ? { referenceDir: options.referenceDir } : {}),
      ...(options.handlerModules ? { handlerModules: options.handlerModules } : {}),
    });
    options.log?.(`data-parallel: ${options.workers} threads (this one and ${options.workers - 1} worker${options.workers > 2 ? 's' : ''} on ${backend}), started in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return {
      pool,
      close: async () => {
        await pool.close();
        await removeWorkerModelFolder(dir);
      },
    };
  } catch (error) {
    await removeWorkerModelFolder(dir);
    throw error;
  }
}
