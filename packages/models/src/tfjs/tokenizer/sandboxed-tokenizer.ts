import { MessageChannel, type MessagePort, Worker, receiveMessageOnPort } from 'node:worker_threads';
import { IadR1Error } from '@iad-r1/errors';
import { builtFile } from '../parallel/built-file';

/** A tokenizer whose regular expressions did not finish in time, or that failed in its worker. */
export class TokenizerLimitError extends IadR1Error {
  override readonly name = 'TokenizerLimitError';
}

/** How long the worker may take to start (load the tokenizer). */
const START_LIMIT_MS = 30_000;
/** How long one call may take: a fixed allowance plus a little per character. */
const callLimitMs = (characters: number) => 1000 + characters / 50;

/**
 * A tokenizer.json run in a worker thread, called synchronously: the calling thread waits on a
 * shared flag with a time limit, then reads the answer with `receiveMessageOnPort`. When the time
 * is up (a regular expression backtracking without end), the worker is stopped and the call throws
 * a {@link TokenizerLimitError} naming the file; the tokenizer refuses further calls. The worker's
 * heap is capped, so a pattern that exhausts memory kills the worker, not the process.
 */
export class SandboxedTokenizer {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  // [0]: the answer to the current call is posted; [1]: the worker has loaded the tokenizer.
  private readonly signal = new Int32Array(new SharedArrayBuffer(8));
  private stopped: string | undefined;

  constructor(
    tokenizer: string,
    config: string | undefined,
    private readonly file: string,
  ) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(builtFile(import.meta.url, '@iad-r1/models', 'dist/tfjs/untrusted-tokenizer-worker.js'), {
      workerData: { tokenizer, config, port: port2, signal: this.signal },
      transferList: [port2],
      resourceLimits: { maxOldGenerationSizeMb: 1024 },
    });
    // Neither keeps the process alive: the worker only ever answers calls.
    this.worker.unref();
    this.port.unref();
  }

  encode(text: string): number[] {
    return this.call({ kind: 'encode', text }, text.length) as number[];
  }

  decode(ids: readonly number[]): string {
    return this.call({ kind: 'decode', ids: [...ids] }, ids.length * 8) as string;
  }

  /** Stops the worker. */
  dispose(): void {
    this.stopped ??= 'it was disposed';
    void this.worker.terminate();
  }

  private call(job: unknown, characters: number): unknown {
    if (this.stopped) throw new TokenizerLimitError(`${this.file}: the tokenizer was stopped (${this.stopped})`);
    if (Atomics.load(this.signal, 1) === 0 && Atomics.wait(this.signal, 1, 0, START_LIMIT_MS) === 'timed-out') this.stop(`its worker did not start within ${START_LIMIT_MS / 1000} s`);
    Atomics.store(this.signal, 0, 0);
    this.port.postMessage(job);
    const limit = callLimitMs(characters);
    if (Atomics.wait(this.signal, 0, 0, limit) === 'timed-out') {
      this.stop(`its regular expressions did not finish within ${(limit / 1000).toFixed(1)} s on a text of ${characters.toLocaleString('en-US')} characters (a pattern that backtracks without end?)`);
    }
    const reply = receiveMessageOnPort(this.port)?.message as { value: unknown } | { error: string } | undefined;
    if (!reply) this.stop('its worker ended without an answer (out of memory?)');
    if ('error' in (reply as object)) throw new TokenizerLimitError(`${this.file}: ${(reply as { error: string }).error}`);
    return (reply as { value: unknown }).value;
  }

  private stop(reason: string): never {
    this.stopped = reason;
    void this.worker.terminate();
    throw new TokenizerLimitError(`${this.file}: ${reason}`);
  }
}
