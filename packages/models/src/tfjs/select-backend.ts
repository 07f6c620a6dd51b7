import { tf } from './tf';
import { BackendUnavailableError } from './environment-errors';

/** The TensorFlow.js backends IAD-R1 can run on, fastest first. */
export type BackendName = 'node-gpu' | 'node' | 'wasm' | 'cpu';
export const BACKEND_PREFERENCE: readonly BackendName[] = ['node-gpu', 'node', 'wasm', 'cpu'];

/** Which backend was selected, and why the faster ones were skipped. */
export interface BackendSelection {
  backend: BackendName;
  /** tfjs's own name for it (`tensorflow`, `wasm`, `cpu`). */
  engine: string;
  skipped: Array<{ backend: BackendName; reason: string }>;
}

export interface SelectBackendOptions {
  /** Use this backend or fail; default: the env var `IAD_R1_TFJS_BACKEND`, else the fastest that loads. */
  prefer?: BackendName;
  /** Where the choice is reported; default stderr. Pass `() => {}` to stay quiet. */
  log?: (line: string) => void;
}

let current: BackendSelection | undefined;

async function tryBackend(name: BackendName): Promise<string> {
  switch (name) {
    case 'node-gpu':
      await import('@tensorflow/tfjs-node-gpu' as string);
      break;
    case 'node':
      await import('@tensorflow/tfjs-node' as string);
      break;
    case 'wasm':
      await import('@tensorflow/tfjs-backend-wasm');
      break;
    case 'cpu':
      break;
  }
  const engine = name === 'node' || name === 'node-gpu' ? 'tensorflow' : name;
  if (!(await tf.setBackend(engine))) throw new Error(`tf.setBackend('${engine}') returned false`);
  await tf.ready();
  // tfjs-node-gpu prints the CUDA devices it found (or why none) when it loads.
  return engine;
}

/**
 * Picks the fastest TensorFlow.js backend present — `@tensorflow/tfjs-node-gpu`, then
 * `@tensorflow/tfjs-node`, then `@tensorflow/tfjs-backend-wasm`, then the pure-JS cpu backend —
 * and says which one it got and why the others were skipped. Override with `prefer` or the
 * `IAD_R1_TFJS_BACKEND` environment variable. Calling it again returns the first selection.
 *
 * @example
 * const { backend } = await selectBackend(); // e.g. 'wasm' on a machine without tfjs-node
 */
export async function selectBackend(options: SelectBackendOptions = {}): Promise<BackendSelection> {
  if (current) return current;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const forced = options.prefer ?? (process.env.IAD_R1_TFJS_BACKEND as BackendName | undefined);
  if (forced !== undefined && !BACKEND_PREFERENCE.includes(forced)) {
    throw new RangeError(`unknown backend ${JSON.stringify(forced)}; choose one of ${BACKEND_PREFERENCE.join(', ')}`);
  }
  const candidates = forced ? [forced] : BACKEND_PREFERENCE;
  const skipped: BackendSelection['skipped'] = [];
  for (const name of candidates) {
    try {
      const engine = await tryBackend(name);
      current = { backend: name, engine, skipped };
      const why = skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ');
      log(`iad-r1: TensorFlow.js backend ${name}${forced ? ' (requested)' : ''}${why ? ` — skipped ${why}` : ''}`);
      return current;
    } catch (error) {
      const message = (error as Error).message.split('\n')[0] ?? String(error);
      const code = (error as NodeJS.ErrnoException).code;
      const missing = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' || /Cannot find (module|package)|Could not resolve/.test(message);
      skipped.push({ backend: name, reason: missing ? 'not installed' : message });
    }
  }
  throw new BackendUnavailableError(skipped);
}
