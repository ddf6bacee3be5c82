// Runs a training run in a worker thread: ONNX Runtime's runs are synchronous, and on the service's own thread each
// training call would block completions for its whole duration.
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ClozeError, type ClozeErrorCode } from '../core/errors';
import type { TrainEval, TrainOptions, TrainProgress, TrainResult } from './trainer';

/** What crosses to the worker: the options without the callbacks and the signal, which stay on this side. */
export type WorkerTrainOptions = Omit<TrainOptions, 'signal' | 'onProgress' | 'onEval' | 'log'>;

export type ToWorker = { type: 'stop' };
export type FromWorker =
  | { type: 'progress'; e: TrainProgress }
  | { type: 'eval'; e: TrainEval }
  | { type: 'log'; m: string }
  | { type: 'done'; result: TrainResult }
  | { type: 'error'; error: { code: ClozeErrorCode; userMessage: string; detail?: string } | { message: string; stack?: string } };

/** The worker script sits next to this module: dist/trainWorker.js beside the bundles, out/src/train/ under tsc. */
const WORKER_SCRIPT = path.join(__dirname, 'trainWorker.js');

/** train(), in a worker thread; same options and callbacks, the signal stops it the same way. */
export function trainInWorker(opts: TrainOptions, script = WORKER_SCRIPT): Promise<TrainResult> {
  const { signal, onProgress, onEval, log, ...data } = opts;
  return new Promise((resolve, reject) => {
    const worker = new Worker(script, { workerData: data satisfies WorkerTrainOptions });
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', stop);
      fn();
    };
    const stop = () => worker.postMessage({ type: 'stop' } satisfies ToWorker);
    if (signal?.aborted) stop();
    signal?.addEventListener('abort', stop);
    worker.on('message', (m: FromWorker) => {
      switch (m.type) {
        case 'progress': onProgress?.(m.e); break;
        case 'eval': onEval?.(m.e); break;
        case 'log': log?.(m.m); break;
        case 'done': settle(() => resolve(m.result)); void worker.terminate(); break;
        case 'error': {
          const err = 'code' in m.error ? new ClozeError(m.error.code, m.error.userMessage, m.error.detail) : Object.assign(new Error(m.error.message), { stack: m.error.stack });
          settle(() => reject(err));
          void worker.terminate();
          break;
        }
      }
    });
    worker.on('error', (e) => settle(() => reject(new ClozeError('training', `The training thread failed: ${e.message}. The last checkpoint is kept; resume to continue.`, e.stack))));
    worker.on('exit', (code) => settle(() => reject(new ClozeError('training', `The training thread ended unexpectedly (exit code ${code}). The last checkpoint is kept; resume to continue.`))));
  });
}
