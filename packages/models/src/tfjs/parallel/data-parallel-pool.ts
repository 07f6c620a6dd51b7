import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { IadR1Error } from '@iad-r1/errors';
import type { BackendName } from '../select-backend';
import type { Variable } from '../tf';
import { builtFile } from './built-file';

/** A worker thread of a data-parallel run failed: names the worker and the job. */
export class DataParallelWorkerError extends IadR1Error {
  override readonly name = 'DataParallelWorkerError';
  constructor(
    readonly worker: number,
    readonly job: string,
    reason: string,
  ) {
    super(`data-parallel worker ${worker} (${job}): ${reason}`);
  }
}

/**
 * Threads a trainer uses when its `workers` option is not given: `IAD_R1_WORKERS` when set (the
 * test suite sets 1), else the cores available.
 */
export function defaultWorkers(): number {
  const fromEnv = process.env.IAD_R1_WORKERS;
  if (fromEnv !== undefined && fromEnv !== '') {
    const n = Number(fromEnv);
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`IAD_R1_WORKERS must be a positive integer, not ${JSON.stringify(fromEnv)}`);
    return n;
  }
  return availableParallelism();
}

/** How the pool's workers set themselves up; see {@link DataParallelPool.start}. */
export interface DataParallelPoolOptions {
  /** Worker threads to start (besides the calling thread, which computes a shard too). */
  threads: number;
  /** A folder `loadModel` opens: the model as the calling thread has it (adapters included). */
  modelDir: string;
  /** The frozen reference policy's folder (GRPO), loaded beside the model. */
  referenceDir?: string;
  /** The variables kept equal in every thread, in gradient order: the trained ones. */
  variables: ReadonlyArray<readonly [string, Variable]>;
  /**
   * Which of `variables` are the trainer's own, not the model's (a temporary head): the workers
   * create them with the same shapes; the first synchronisation gives them their values.
   */
  trainerVariables?: readonly string[];
  /** Modules (paths) exporting `shardHandlers`, loaded by every worker beside the built-in handlers. */
  handlerModules?: readonly string[];
  backend: BackendName;
}

/** What a worker is told at start: plain data. */
export interface WorkerInit {
  index: number;
  modelDir: string;
  referenceDir?: string;
  names: string[];
  trainerVariables: Array<{ name: string; shape: number[] }>;
  handlerModules: string[];
  backend: BackendName;
}

/** A worker's reply to one job. */
export interface ShardReply {
  result: unknown;
  grads?: Float32Array[];
}

interface Pending {
  job: string;
  resolve: (reply: ShardReply) => void;
  reject: (error: Error) => void;
}

interface Member {
  worker: Worker;
  index: number;
  sentVersion: number;
  pending?: Pending;
  failure?: Error;
}

/**
 * Worker threads for data-parallel training, each with its own TensorFlow.js engine and its own
 * copy of the model loaded from the same folder. The calling thread keeps the optimiser: it sends
 * the synchronised variables' values with the first job after each change
 * ({@link DataParallelPool.weightsChanged}), each worker runs one shard of the job and returns its
 * result and gradients, and the caller combines them with its own shard. One job per worker at a
 * time.
 *
 * @example
 * const pool = await DataParallelPool.start({ threads: 1, modelDir, variables, backend: 'wasm' });
 * const [reply] = await pool.run('sft-gradients', [{ examples }]);
 * await pool.close();
 */
export class DataParallelPool {
  private version = 1;
  private snapshot: { version: number; values: Float32Array[] } | undefined;

  private constructor(
    private readonly members: Member[],
    private readonly variables: ReadonlyArray<readonly [string, Variable]>,
  ) {}

  /** Starts `threads` workers and waits until each has loaded the model (failing with the first worker's reason). */
  static async start(options: DataParallelPoolOptions): Promise<DataParallelPool> {
    const script = builtFile(import.meta.url, '@iad-r1/models', 'dist/tfjs/data-parallel-worker.js');
    const trainerNames = new Set(options.trainerVariables ?? []);
    const members: Member[] = [];
    const ready: Array<Promise<void>> = [];
    for (let k = 0; k < options.threads; k++) {
      const init: WorkerInit = {
        index: k + 1,
        modelDir: options.modelDir,
        ...(options.referenceDir ? { referenceDir: options.referenceDir } : {}),
        names: options.variables.map(([name]) => name),
        trainerVariables: options.variables.filter(([name]) => trainerNames.has(name)).map(([name, v]) => ({ name, shape: [...v.shape] })),
        handlerModules: [...(options.handlerModules ?? [])],
        backend: options.backend,
      };
      const worker = new Worker(script, { workerData: init });
      const member: Member = { worker, index: k + 1, sentVersion: 0 };
      members.push(member);
      ready.push(
        new Promise<void>((resolve, reject) => {
          // Start-up listeners only: once the worker is ready, listen() takes over.
          const stop = () => {
            worker.off('message', onMessage);
            worker.off('error', onError);
            worker.off('exit', onExit);
          };
          const onMessage = (message: { type: string; reason?: string }) => {
            stop();
            if (message.type === 'ready') resolve();
            else reject(new DataParallelWorkerError(member.index, 'start', message.reason ?? `unexpected message ${JSON.stringify(message.type)}`));
          };
          const onError = (error: Error) => {
            stop();
            reject(new DataParallelWorkerError(member.index, 'start', error.message));
          };
          const onExit = (code: number) => {
            stop();
            reject(new DataParallelWorkerError(member.index, 'start', `exited with code ${code}`));
          };
          worker.on('message', onMessage);
          worker.on('error', onError);
          worker.on('exit', onExit);
        }),
      );
    }
    const pool = new DataParallelPool(members, options.variables);
    try {
      await Promise.all(ready);
    } catch (error) {
      await pool.close();
      throw error;
    }
    for (const member of members) pool.listen(member);
    return pool;
  }

  /** Worker threads (not counting the caller's). */
  get threads(): number {
    return this.members.length;
  }

  /** The synchronised variables changed (an optimiser step): the next job of each worker carries their values. */
  weightsChanged(): void {
    this.version++;
  }

  /**
   * Runs job `name` with one payload per worker (the first `payloads.length` workers; the others
   * idle) and resolves to their replies in the same order, after sending the current weights to
   * any worker that has not seen them.
   */
  run(name: string, payloads: readonly unknown[]): Promise<ShardReply[]> {
    if (payloads.length > this.members.length) return Promise.reject(new RangeError(`${payloads.length} payloads for ${this.members.length} workers`));
    const replies = Promise.all(
      payloads.map(
        (payload, k) =>
          new Promise<ShardReply>((resolve, reject) => {
            const member = this.members[k] as Member;
            if (member.failure) return reject(member.failure);
            const weights = member.sentVersion === this.version ? undefined : this.currentValues();
            member.pending = { job: name, resolve, reject };
            member.sentVersion = this.version;
            member.worker.postMessage({ type: 'job', name, payload, weights });
          }),
      ),
    );
    // The caller awaits this after computing its own shard: a worker failing meanwhile must not
    // count as an unhandled rejection (the await still throws).
    replies.catch(() => undefined);
    return replies;
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    await Promise.all(this.members.map((m) => m.worker.terminate()));
  }

  private currentValues(): Float32Array[] {
    if (this.snapshot?.version !== this.version) {
      // Copied: a backend's dataSync() may hand out its own storage.
      this.snapshot = { version: this.version, values: this.variables.map(([, v]) => new Float32Array(v.dataSync() as Float32Array)) };
    }
    return this.snapshot.values;
  }

  private listen(member: Member): void {
    const fail = (error: Error) => {
      member.failure = error;
      const pending = member.pending;
      member.pending = undefined;
      pending?.reject(error);
    };
    member.worker.on('message', (message: { type: string; result?: unknown; grads?: Float32Array[]; reason?: string }) => {
      const pending = member.pending;
      if (!pending) return;
      member.pending = undefined;
      if (message.type === 'done') pending.resolve({ result: message.result, ...(message.grads ? { grads: message.grads } : {}) });
      else pending.reject(new DataParallelWorkerError(member.index, pending.job, message.reason ?? 'failed'));
    });
    member.worker.on('error', (error) => fail(new DataParallelWorkerError(member.index, member.pending?.job ?? 'idle', error.message)));
    member.worker.on('exit', (code) => fail(new DataParallelWorkerError(member.index, member.pending?.job ?? 'idle', `exited with code ${code}`)));
  }
}
