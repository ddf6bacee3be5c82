// The worker-thread side of trainInWorker: runs one training run off the service's event loop, reporting by message.
import { parentPort, workerData } from 'node:worker_threads';
import { ClozeError } from '../core/errors';
import { train } from './trainer';
import type { FromWorker, ToWorker, WorkerTrainOptions } from './worker';

const port = parentPort;
if (!port) throw new Error('trainWorker.js runs only as a worker thread (see trainInWorker)');
const post = (m: FromWorker) => port.postMessage(m);
const abort = new AbortController();
port.on('message', (m: ToWorker) => {
  if (m.type === 'stop') abort.abort();
});

train({
  ...(workerData as WorkerTrainOptions),
  signal: abort.signal,
  onProgress: (e) => post({ type: 'progress', e }),
  onEval: (e) => post({ type: 'eval', e }),
  log: (m) => post({ type: 'log', m }),
}).then(
  (result) => post({ type: 'done', result }),
  (e: unknown) => post({
    type: 'error',
    error: e instanceof ClozeError
      ? { code: e.code, userMessage: e.userMessage, detail: e.detail }
      : { message: e instanceof Error ? e.message : String(e), stack: e instanceof Error ? e.stack : undefined },
  }),
);
