// Train on Workspace runs the trainer off the service's thread — a child process at low priority (the default) or a
// worker thread: same run as in-process, stops by signal, typed errors cross back, a killed child is a clear error
// with its checkpoint intact, an orphaned child stops and saves, and this thread's event loop stays free meanwhile
// (the lag is printed, not asserted: speed is the bench's job, `npm run bench -- --during-training`).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ClozeError } from '../../src/core/errors';
import { resolveModelDir } from '../../src/core/modelPointer';
import { loadCheckpoint } from '../../src/train/checkpoint';
import { CHECKPOINT_FILE, MODEL_DIR, train, type TrainOptions } from '../../src/train/trainer';
import { trainInWorker, type RunnerOptions } from '../../src/train/worker';
import { fixture, repoRoot } from '../paths';

const sourceDir = path.join(repoRoot, 'test', 'fixtures', 'corpus', 'source');
const sleep = (t: number) => new Promise((r) => setTimeout(r, t));

/** Whether a process is still running (signal 0 only checks); an exited orphan not yet reaped (Linux state Z) is not. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return process.platform !== 'linux';
  }
}

/** nice of each thread of `pid` (Linux: field 19 of /proc/PID/task/TID/stat, after the command's closing parenthesis). */
function threadNice(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  });
}

describe('training off the service thread', function () {
  this.timeout(300_000);
  let tmp: string;
  before(() => (tmp = mkdtempSync(path.join(os.tmpdir(), 'cloze-worker-'))));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  const common = (outDir: string): TrainOptions => ({
    inputs: [path.join(sourceDir, 'semver')], from: fixture('roberta-tiny-bpe'), outDir, steps: 16, stepsPerCall: 4, batch: 4, seq: 64, threads: 1, seed: 3,
  });

  let here: Awaited<ReturnType<typeof train>> | undefined;
  const inProcess = async () => (here ??= await train(common(path.join(tmp, 'here'))));

  for (const isolation of ['process', 'thread'] as const) {
    const runner: RunnerOptions = { isolation };
    describe(`in a ${isolation === 'process' ? 'child process' : 'worker thread'}`, () => {
      it('gives the same run as in-process training, with progress and evaluations reported', async () => {
        const ref = await inProcess();
        const steps: number[] = [];
        const phases: string[] = [];
        let maxLag = 0;
        let last = performance.now();
        const ticker = setInterval(() => {
          const now = performance.now();
          maxLag = Math.max(maxLag, now - last - 10);
          last = now;
        }, 10);
        const out = path.join(tmp, `there-${isolation}`);
        const there = await trainInWorker({ ...common(out), onProgress: (p) => steps.push(p.step), onEval: (e) => phases.push(e.phase) }, runner)
          .finally(() => clearInterval(ticker));
        console.log(`      longest pause of this thread's event loop while the ${isolation} trained: ${maxLag.toFixed(0)} ms`);
        assert.equal(there.stopped, 'done');
        assert.equal(there.step, 16);
        assert.deepEqual(steps, [4, 8, 12, 16]);
        assert.deepEqual([phases[0], phases.at(-1)], ['before', 'after']);
        assert.equal(there.after?.loss, ref.after?.loss, 'held-out loss differs from the in-process run');
        const onnx = async (r: typeof ref) => {
          const dir = await resolveModelDir(r.modelDir!);
          return readFileSync(path.join(dir, readdirSync(dir).includes('model.onnx') ? 'model.onnx' : 'onnx/model.onnx'));
        };
        assert.ok((await onnx(ref)).equals(await onnx(there)), 'the exported models differ');
      });

      it('stops through the AbortSignal, keeping a checkpoint', async () => {
        const controller = new AbortController();
        const out = path.join(tmp, `stopped-${isolation}`);
        const r = await trainInWorker({ ...common(out), steps: 400, signal: controller.signal, onProgress: (p) => p.step >= 8 && controller.abort() }, runner);
        assert.equal(r.stopped, 'cancelled');
        assert.ok(r.step >= 8 && r.step < 400, `stopped at ${r.step}`);
        assert.equal(r.modelDir, undefined);
        assert.ok(readdirSync(out).some((f) => f.startsWith('checkpoint')), 'no checkpoint');
      });

      it('a failure on the far side comes back as the same typed error', async () => {
        await assert.rejects(trainInWorker({ ...common(path.join(tmp, `bad-${isolation}`)), from: path.join(tmp, 'no-such-model') }, runner), (e: unknown) => {
          assert.ok(e instanceof ClozeError, `not a ClozeError: ${e}`);
          assert.match(e.userMessage, /not found|no-such-model/i);
          return true;
        });
      });
    });
  }

  it('the child process runs at low OS priority, the threads ONNX Runtime starts in it too, the caller at its own', async function () {
    if (process.platform !== 'linux') this.skip();
    let pid = 0;
    let nice: number[] = [];
    const r = await trainInWorker({ ...common(path.join(tmp, 'nice')), threads: 2, onProgress: () => {
      if (!nice.length) nice = threadNice(pid);
    } }, { onChild: (p) => (pid = p) });
    assert.equal(r.stopped, 'done');
    console.log(`      nice of the child's threads while it trained: ${nice.join(' ')}; of this process: ${os.getPriority()}`);
    assert.equal(nice[0], os.constants.priority.PRIORITY_LOW, 'the main thread of the child');
    // Node's own threads may start before the priority is lowered (here all were low); the intra-op thread ONNX
    // Runtime adds for threads: 2, and the main thread that runs its share, are low in any case.
    assert.ok(nice.filter((n) => n === os.constants.priority.PRIORITY_LOW).length >= 2, `threads' nice: ${nice.join(' ')}`);
    assert.notEqual(os.getPriority(), os.constants.priority.PRIORITY_LOW, 'this process was lowered too');
    const t0 = Date.now();
    while (alive(pid)) {
      assert.ok(Date.now() - t0 < 15_000, 'the child still runs 15 s after its run ended');
      await sleep(100);
    }
  });

  it('a killed child process is a clear typed error, and its last checkpoint resumes', async () => {
    const out = path.join(tmp, 'killed');
    let pid = 0;
    let killedAt = 0;
    const err = await trainInWorker({ ...common(out), steps: 40, checkpointEverySteps: 4, onProgress: (p) => {
      if (p.step >= 12 && !killedAt) {
        killedAt = p.step;
        process.kill(pid, 'SIGKILL');
      }
    } }, { onChild: (p) => (pid = p) }).then(() => undefined, (e: unknown) => e);
    assert.ok(err instanceof ClozeError, `not a ClozeError: ${String(err)}`);
    assert.match(err.userMessage, /ended unexpectedly \(signal SIGKILL\).*checkpoint is kept/);
    const ckpt = await loadCheckpoint(path.join(out, CHECKPOINT_FILE));
    assert.ok(ckpt.step >= 8 && ckpt.step <= killedAt + 4, `checkpoint at step ${ckpt.step}, killed after ${killedAt}`);
    assert.ok(!existsSync(path.join(out, MODEL_DIR)), 'the killed run exported a model');
    const resumed = await trainInWorker({ inputs: [path.join(sourceDir, 'semver')], outDir: out, resume: true });
    assert.equal(resumed.stopped, 'done');
    assert.equal(resumed.step, 40);
  });

  it('a child whose parent dies stops as if cancelled, saving its checkpoint, and ends', async () => {
    const out = path.join(tmp, 'orphan');
    // A parent of its own, killed with SIGKILL once its child trains: as when the editor kills the service.
    const script = `
      const { trainInWorker } = require(${JSON.stringify(path.join(repoRoot, 'out', 'src', 'train', 'worker.js'))});
      trainInWorker(${JSON.stringify({ ...common(out), steps: 4000 })}, { onChild: (pid) => console.log('child ' + pid) })
        .catch(() => undefined);`;
    const parent = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    parent.stdout.on('data', (b: Buffer) => (text += b.toString()));
    while (!/child \d+/.test(text)) {
      assert.equal(parent.exitCode, null, `the parent ended: ${text}`);
      await sleep(50);
    }
    const pid = Number(/child (\d+)/.exec(text)![1]);
    // Training has taken a step once its log holds a progress line (the file itself starts with the "before"
    // evaluation, at step 0: a kill then may stop the child before any step, leaving a step-0 checkpoint).
    const logFile = path.join(out, 'train-log.jsonl');
    while (!(existsSync(logFile) && readFileSync(logFile, 'utf8').includes('"type":"progress"'))) {
      assert.ok(alive(pid), 'the child ended before training');
      await sleep(50);
    }
    parent.kill('SIGKILL');
    const t0 = Date.now();
    while (alive(pid)) {
      assert.ok(Date.now() - t0 < 60_000, 'the orphaned child still runs a minute after its parent died');
      await sleep(100);
    }
    const ckpt = await loadCheckpoint(path.join(out, CHECKPOINT_FILE));
    assert.ok(ckpt.step > 0 && ckpt.step < 4000, `checkpoint at step ${ckpt.step}`);
  });
});
