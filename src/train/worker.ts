// Runs a training run off the service's thread: ONNX Runtime's runs are synchronous, and on the service's own thread
// each training call would block completions for its whole duration. By default in a child process at a lowered OS
// priority, so the scheduler prefers the service's fill threads over the trainer's (docs/benchmarks.md, *Fills during
// Train on Workspace*); a worker thread of this process is kept for comparison.
import { fork } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ClozeError, type ClozeErrorCode } from '../core/errors';
import type { TrainEval, TrainOptions, TrainProgress, TrainResult } from './trainer';

/** What crosses to the worker: the options without the callbacks and the signal, which stay on this side. */
export type WorkerTrainOptions = Omit<TrainOptions, 'signal' | 'onProgress' | 'onEval' | 'log'> & {
  /** ORT intra-op spin-waiting in the training sessions (src/train/step.ts). */
  readonly spinning: boolean;
};

export type ToWorker = { type: 'start'; data: WorkerTrainOptions } | { type: 'stop' };
export type FromWorker =
  | { type: 'progress'; e: TrainProgress }
  | { type: 'eval'; e: TrainEval }
  | { type: 'log'; m: string }
  | { type: 'done'; result: TrainResult }
  | { type: 'error'; error: { code: ClozeErrorCode; userMessage: string; detail?: string } | { message: string; stack?: string } };

export interface RunnerOptions {
  /** `process` (default): a child process; `thread`: a worker thread of this process. */
  readonly isolation?: 'process' | 'thread';
  /** OS priority (nice value) of the child process; default os.constants.priority.PRIORITY_LOW. */
  readonly priority?: number;
  /** ORT intra-op spin-waiting in the training sessions; default off. */
  readonly spinning?: boolean;
  /** The worker script; default trainWorker.js beside this module. */
  readonly script?: string;
  /** Told the child's pid once it is forked (tests look at its priority, or kill it). */
  readonly onChild?: (pid: number) => void;
}

/** The worker script sits next to this module: dist/trainWorker.js beside the bundles, out/src/train/ under tsc. */
const WORKER_SCRIPT = path.join(__dirname, 'trainWorker.js');

/** How the two kinds of worker look from here. */
interface Channel {
  send(m: ToWorker): void;
  /** Frees the worker once the run has settled. */
  close(): void;
}

function errorFrom(m: Extract<FromWorker, { type: 'error' }>['error']): Error {
  return 'code' in m ? new ClozeError(m.code, m.userMessage, m.detail) : Object.assign(new Error(m.message), { stack: m.stack });
}

/** train(), in a child process or worker thread; same options and callbacks, the signal stops it the same way. */
export function trainInWorker(opts: TrainOptions, runner: RunnerOptions = {}): Promise<TrainResult> {
  const { signal, onProgress, onEval, log, ...rest } = opts;
  const data: WorkerTrainOptions = { ...rest, spinning: runner.spinning ?? false };
  const script = runner.script ?? WORKER_SCRIPT;
  return new Promise((resolve, reject) => {
    let settled = false;
    let channel: Channel | undefined;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', stop);
      fn();
      channel?.close();
    };
    const stop = () => channel?.send({ type: 'stop' });
    const onMessage = (m: FromWorker) => {
      switch (m.type) {
        case 'progress': onProgress?.(m.e); break;
        case 'eval': onEval?.(m.e); break;
        case 'log': log?.(m.m); break;
        case 'done': settle(() => resolve(m.result)); break;
        case 'error': settle(() => reject(errorFrom(m.error))); break;
      }
    };
    const crashed = (what: string, detail?: string) => settle(() => reject(new ClozeError('training', `${what}. The last checkpoint is kept; resume to continue.`, detail)));
    if (runner.isolation === 'thread') {
      const worker = new Worker(script, { workerData: data });
      channel = { send: (m) => worker.postMessage(m), close: () => void worker.terminate() };
      worker.on('message', onMessage);
      worker.on('error', (e) => crashed(`The training thread failed: ${e.message}`, e.stack));
      worker.on('exit', (code) => crashed(`The training thread ended unexpectedly (exit code ${code})`));
    } else {
      // Structured clone, as between threads. None of this process's Node flags: a service under --inspect would
      // clash over the port, and a caller started with -e or -p would have its child run that code instead.
      const child = fork(script, [], {
        serialization: 'advanced',
        execArgv: [],
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      });
      // Before the child has loaded ONNX Runtime: on Linux a priority is per thread, and the intra-op threads it
      // creates later inherit its main thread's (elsewhere it is the whole process's).
      const priority = runner.priority ?? os.constants.priority.PRIORITY_LOW;
      if (child.pid !== undefined) {
        try {
          os.setPriority(child.pid, priority);
        } catch (e) {
          log?.(`Could not lower the training process's priority: ${e instanceof Error ? e.message : String(e)}`);
        }
        runner.onChild?.(child.pid);
      }
      const stderr: string[] = [];
      child.stderr?.on('data', (b: Buffer) => {
        stderr.push(...b.toString().split(/\r?\n/).filter(Boolean));
        stderr.splice(0, stderr.length - 20);
      });
      channel = {
        send: (m) => {
          if (child.connected) child.send(m);
        },
        close: () => {
          if (child.connected) child.disconnect();
          // It exits by itself after its last message; one that does not is not left running.
          if (child.exitCode === null && child.signalCode === null) {
            const t = setTimeout(() => child.kill(), 10_000).unref();
            child.once('exit', () => clearTimeout(t));
          }
        },
      };
      child.on('message', (m: FromWorker) => onMessage(m));
      child.on('error', (e) => crashed(`The training process could not run: ${e.message}`, e.stack));
      child.on('exit', (code, sig) => crashed(`The training process ended unexpectedly (${sig ? `signal ${sig}` : `exit code ${code}`})`, stderr.join('\n') || undefined));
      channel.send({ type: 'start', data });
    }
    if (signal?.aborted) stop();
    signal?.addEventListener('abort', stop);
  });
}
