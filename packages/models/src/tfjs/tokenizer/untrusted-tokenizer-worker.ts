// The worker thread of SandboxedTokenizer: encodes and decodes with a tokenizer.json whose regular
// expressions are not known to be fast, so that the calling thread can give up on it.
import { type MessagePort, workerData } from 'node:worker_threads';
import { Tokenizer } from '@huggingface/tokenizers';

interface Data {
  tokenizer: string;
  config: string | undefined;
  port: MessagePort;
  signal: Int32Array;
}

type Job = { kind: 'encode'; text: string } | { kind: 'decode'; ids: number[] };

const { tokenizer, config, port, signal } = workerData as Data;
const loaded = new Tokenizer(JSON.parse(tokenizer), config ? JSON.parse(config) : {});
Atomics.store(signal, 1, 1);
Atomics.notify(signal, 1);

port.on('message', (job: Job) => {
  let reply: { value: unknown } | { error: string };
  try {
    reply = { value: job.kind === 'encode' ? loaded.encode(job.text, { add_special_tokens: false }).ids : loaded.decode(job.ids, { skip_special_tokens: true }) };
  } catch (error) {
    reply = { error: (error as Error).message };
  }
  port.postMessage(reply);
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
});
