// The far side of trainInWorker: runs one training run off the service's thread, as a child process (messages over
// IPC) or a worker thread (messages over its port), reporting by message.
import { parentPort, workerData } from 'node:worker_threads';
import { ClozeError } from '../core/errors';
import { setStepSpinning } from './step';
import { train } from './trainer';
import type { FromWorker, ToWorker, WorkerTrainOptions } from './worker';

const abort = new AbortController();
let started = false;

/** `post` with `end` set: the run's last message, after which the far side has nothing left to do. */
type Post = (m: FromWorker, end?: boolean) => void;

function run(data: WorkerTrainOptions, post: Post): void {
  if (started) return;
  started = true;
  const { spinning, ...opts } = data;
  setStepSpinning(spinning);
  train({
    ...opts,
    signal: abort.signal,
    onProgress: (e) => post({ type: 'progress', e }),
    onEval: (e) => post({ type: 'eval', e }),
    log: (m) => post({ type: 'log', m }),
  }).then(
    (result) => post({ type: 'done', result }, true),
    (e: unknown) => post({
      type: 'error',
      error: e instanceof ClozeError
        ? { code: e.code, userMessage: e.userMessage, detail: e.detail }
        : { message: e instanceof Error ? e.message : String(e), stack: e instanceof Error ? e.stack : undefined },
    }, true),
  );
}

const port = parentPort;
if (port) {
  port.on('message', (m: ToWorker) => {
    if (m.type === 'stop') abort.abort();
  });
  run(workerData as WorkerTrainOptions, (m) => port.postMessage(m));
} else if (process.send) {
  // Nothing to report to once the service is gone: a run that loses its parent stops as if cancelled, which writes
  // its checkpoint. After the last message the process ends at once: whatever the trainer leaves pending would
  // otherwise hold it open (a stopped run's process was seen to linger for half a minute).
  const post: Post = (m, end) => {
    if (!process.connected) {
      if (end) process.exit(0);
      return;
    }
    process.send?.(m, undefined, {}, () => end && process.exit(0));
  };
  process.on('message', (m: ToWorker) => {
    if (m.type === 'start') run(m.data, post);
    else if (m.type === 'stop') abort.abort();
  });
  process.on('disconnect', () => abort.abort());
} else {
  throw new Error('trainWorker.js runs only as a child process or worker thread (see trainInWorker)');
}
