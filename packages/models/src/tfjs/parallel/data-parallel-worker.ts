// The entry of a data-parallel worker thread (see DataParallelPool): loads the model the calling
// thread saved (LoRA adapters included), then runs one job at a time — weights first when
// they came with it, then the shard, gradients back as transferred buffers.
import { parentPort, workerData } from 'node:worker_threads';
import { loadModel } from '../model-registry';
import { selectBackend } from '../select-backend';
import { type Variable, tf } from '../tf';
import { BUILT_IN_HANDLERS } from './built-in-handlers';
import type { WorkerInit } from './data-parallel-pool';
import type { ShardContext, ShardHandler, ShardHandlers } from './shard-context';

if (!parentPort) throw new Error('data-parallel-worker runs as a worker thread (DataParallelPool starts it)');
const port = parentPort;
const init = workerData as WorkerInit;

const reason = (error: unknown): string => (error instanceof Error ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}` : String(error));

async function start(): Promise<{ context: ShardContext; handlers: Record<string, ShardHandler> }> {
  await selectBackend({ prefer: init.backend, log: () => undefined });
  // The wasm backend's Emscripten glue rethrows unhandled rejections, which ends the thread; a
  // job's own failure is reported through its reply, so such a rejection is only logged.
  process.removeAllListeners('unhandledRejection');
  process.on('unhandledRejection', (error) => process.stderr.write(`iad-r1 worker ${init.index}: unhandled rejection: ${reason(error)}\n`));
  const model = await loadModel(init.modelDir);
  const reference = init.referenceDir ? await loadModel(init.referenceDir) : undefined;
  const own = new Map(model.namedVariables());
  for (const { name, shape } of init.trainerVariables) own.set(name, tf.variable(tf.zeros(shape), true, `worker${init.index}/${name}`));
  const variables = init.names.map((name): [string, Variable] => {
    const variable = own.get(name);
    if (!variable) throw new RangeError(`the model loaded from ${init.modelDir} has no weight ${name} (the calling thread trains it)`);
    return [name, variable];
  });
  const handlers: Record<string, ShardHandler> = { ...BUILT_IN_HANDLERS };
  for (const path of init.handlerModules) {
    const module = (await import(path)) as { shardHandlers?: ShardHandlers };
    if (!module.shardHandlers) throw new RangeError(`${path} exports no shardHandlers`);
    Object.assign(handlers, module.shardHandlers);
  }
  return { context: { model, variables, ...(reference ? { reference } : {}), state: new Map() }, handlers };
}

// Not top-level await: the CommonJS build has none.
async function main(): Promise<void> {
  try {
    const { context, handlers } = await start();
    // Jobs arrive one at a time per worker; a chain keeps them in order even so.
    let queue = Promise.resolve();
    port.on('message', (message: { type: 'job'; name: string; payload: unknown; weights?: Float32Array[] }) => {
      queue = queue.then(async () => {
        try {
          if (message.weights) {
            context.variables.forEach(([, v], i) => {
              const value = tf.tensor(message.weights?.[i] as Float32Array, v.shape);
              v.assign(value);
              value.dispose();
            });
          }
          const handler = handlers[message.name];
          if (!handler) throw new RangeError(`no handler for job ${JSON.stringify(message.name)}`);
          const { result, grads } = await handler(context, message.payload as never);
          const arrays = grads?.map((g) => new Float32Array(g.dataSync() as Float32Array));
          if (grads) tf.dispose(grads);
          port.postMessage({ type: 'done', result, ...(arrays ? { grads: arrays } : {}) }, arrays?.map((a) => a.buffer as ArrayBuffer) ?? []);
        } catch (error) {
          port.postMessage({ type: 'failed', reason: reason(error) });
        }
      });
    });
    port.postMessage({ type: 'ready' });
  } catch (error) {
    port.postMessage({ type: 'init-failed', reason: reason(error) });
  }
}

void main();
