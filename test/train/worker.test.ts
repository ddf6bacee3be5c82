// Train on Workspace runs the trainer in a worker thread: same run as in-process, stops by signal, typed errors cross
// back, and this thread's event loop stays free meanwhile (the lag is printed, not asserted: speed is the bench's job).
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ClozeError } from '../../src/core/errors';
import { resolveModelDir } from '../../src/core/modelPointer';
import { train, type TrainOptions } from '../../src/train/trainer';
import { trainInWorker } from '../../src/train/worker';
import { fixture, repoRoot } from '../paths';

const sourceDir = path.join(repoRoot, 'test', 'fixtures', 'corpus', 'source');

describe('training in a worker thread', function () {
  this.timeout(300_000);
  let tmp: string;
  before(() => (tmp = mkdtempSync(path.join(os.tmpdir(), 'cloze-worker-'))));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  const common = (outDir: string): TrainOptions => ({
    inputs: [path.join(sourceDir, 'semver')], from: fixture('roberta-tiny-bpe'), outDir, steps: 16, stepsPerCall: 4, batch: 4, seq: 64, threads: 1, seed: 3,
  });

  it('gives the same run as in-process training, with progress and evaluations reported from the thread', async () => {
    const here = await train(common(path.join(tmp, 'here')));
    const steps: number[] = [];
    const phases: string[] = [];
    let maxLag = 0;
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      maxLag = Math.max(maxLag, now - last - 10);
      last = now;
    }, 10);
    const there = await trainInWorker({ ...common(path.join(tmp, 'there')), onProgress: (p) => steps.push(p.step), onEval: (e) => phases.push(e.phase) })
      .finally(() => clearInterval(ticker));
    console.log(`      longest pause of this thread's event loop while the worker trained: ${maxLag.toFixed(0)} ms`);
    assert.equal(there.stopped, 'done');
    assert.equal(there.step, 16);
    assert.deepEqual(steps, [4, 8, 12, 16]);
    assert.deepEqual([phases[0], phases.at(-1)], ['before', 'after']);
    assert.equal(there.after?.loss, here.after?.loss, 'held-out loss differs from the in-process run');
    const onnx = async (r: typeof here) => {
      const dir = await resolveModelDir(r.modelDir!);
      return readFileSync(path.join(dir, readdirSync(dir).includes('model.onnx') ? 'model.onnx' : 'onnx/model.onnx'));
    };
    assert.ok((await onnx(here)).equals(await onnx(there)), 'the exported models differ');
  });

  it('stops through the AbortSignal, keeping a checkpoint', async () => {
    const controller = new AbortController();
    const r = await trainInWorker({ ...common(path.join(tmp, 'stopped')), steps: 400, signal: controller.signal, onProgress: (p) => p.step >= 8 && controller.abort() });
    assert.equal(r.stopped, 'cancelled');
    assert.ok(r.step >= 8 && r.step < 400, `stopped at ${r.step}`);
    assert.equal(r.modelDir, undefined);
    assert.ok(readdirSync(path.join(tmp, 'stopped')).some((f) => f.startsWith('checkpoint')), 'no checkpoint');
  });

  it('a failure in the thread comes back as the same typed error', async () => {
    await assert.rejects(trainInWorker({ ...common(path.join(tmp, 'bad')), from: path.join(tmp, 'no-such-model') }), (e: unknown) => {
      assert.ok(e instanceof ClozeError, `not a ClozeError: ${e}`);
      assert.match(e.userMessage, /not found|no-such-model/i);
      return true;
    });
  });
});
