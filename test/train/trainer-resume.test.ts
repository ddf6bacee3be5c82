// A training run killed with SIGKILL and resumed ends bit-identical to one that was never interrupted.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resolveModelDir } from '../../src/core/modelPointer';
import { loadCheckpoint, saveCheckpoint, type TrainingCheckpoint } from '../../src/train/checkpoint';
import { BatchStream, MaskingCollator, defaultMaxMasked } from '../../src/train/collator';
import { collectCorpus } from '../../src/train/corpus';
import { loadFramingTokenizer } from '../../src/core/tokenizer';
import { packDocuments } from '../../src/train/packer';
import { Rng } from '../../src/train/rng';
import { CHECKPOINT_FILE, LOG_FILE, MODEL_DIR, train, type TrainOptions } from '../../src/train/trainer';
import { fixture, repoRoot } from '../paths';
import { runCli, spawnCli } from './cli-commands.test';

const sourceDir = path.join(repoRoot, 'test', 'fixtures', 'corpus', 'source');

function sameTensors(a: Map<string, Float32Array>, b: Map<string, Float32Array>, what: string): void {
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort(), `${what}: same tensor names`);
  for (const [name, x] of a) {
    const y = b.get(name)!;
    assert.ok(Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength)), `${what} ${name} differs`);
  }
}

describe('exact resume', function () {
  this.timeout(300_000);
  let tmp: string;
  before(() => (tmp = mkdtempSync(path.join(os.tmpdir(), 'cloze-resume-'))));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('continues the batch stream exactly from a checkpoint’s data cursor and RNG', async () => {
    const tok = await loadFramingTokenizer(fixture('bert-tiny-wordpiece'));
    const data = await packDocuments(tok, (await collectCorpus([path.join(sourceDir, 'semver')])).files.map((f) => f.text), 64);
    const collator = new MaskingCollator({ batch: 8, seq: 64, maxMasked: defaultMaxMasked(8, 64), vocabSize: tok.vocabSize, maskTokenId: tok.maskId, specialIds: tok.specialIds });
    const stream = new BatchStream(data, collator, 8, 77, Rng.fromSeed(5));
    // Far enough to cross an epoch boundary (the semver corpus packs into a few hundred rows of 64).
    const before = Math.ceil((1.5 * data.count) / 8);
    for (let i = 0; i < before; i++) stream.next();
    const file = path.join(tmp, 'stream.bin');
    const pos = stream.position;
    const ck: TrainingCheckpoint = { step: before, config: {}, hyper: {}, cursor: { ...pos, dataHash: 'x' }, rng: stream.rng.state(), params: new Map(), m: new Map(), v: new Map() };
    await saveCheckpoint(file, ck);
    assert.ok(pos.epoch >= 1, 'the stream went past one epoch');
    const back = await loadCheckpoint(file);
    const resumed = new BatchStream(data, collator, 8, 77, Rng.fromState(back.rng), { epoch: back.cursor.epoch, offset: back.cursor.offset });
    for (let i = 0; i < 60; i++) assert.deepEqual(resumed.next(), stream.next(), `batch ${before + i}`);
  });

  it('cancels through an AbortSignal with a checkpoint and no export, and the resumed run matches an uninterrupted one', async () => {
    const common = (outDir: string): TrainOptions => ({
      inputs: [path.join(sourceDir, 'semver')], from: fixture('roberta-tiny-bpe'), outDir, steps: 24, stepsPerCall: 4, batch: 4, seq: 64, threads: 1, seed: 9, evalEverySteps: 8,
    });
    const evalsOf = (list: { step: number; loss: number }[]) => (e: { step: number; loss: number; phase: string }) => e.phase === 'during' && list.push({ step: e.step, loss: e.loss });
    const wholeEvals: { step: number; loss: number }[] = [];
    const whole = await train({ ...common(path.join(tmp, 'whole')), onEval: evalsOf(wholeEvals) });
    assert.deepEqual(wholeEvals.map((e) => e.step), [8, 16]);
    const controller = new AbortController();
    const cut = path.join(tmp, 'cancelled');
    const first = await train({ ...common(cut), signal: controller.signal, onProgress: (p) => p.step >= 8 && controller.abort() });
    assert.equal(first.stopped, 'cancelled');
    assert.equal(first.step, 8);
    assert.equal(first.modelDir, undefined);
    assert.ok(!existsSync(path.join(cut, MODEL_DIR)));
    assert.equal((await loadCheckpoint(path.join(cut, CHECKPOINT_FILE))).step, 8);
    // A plain resume keeps the cadence the run was started with (evaluations at 16, as in the uninterrupted run).
    const restEvals: { step: number; loss: number }[] = [];
    const rest = await train({ inputs: [], outDir: cut, resume: true, onEval: evalsOf(restEvals) });
    assert.deepEqual(restEvals, wholeEvals.filter((e) => e.step > 8));
    assert.equal(rest.stopped, 'done');
    assert.equal(rest.step, 24);
    assert.deepEqual(rest.after, whole.after);
    assert.deepEqual(rest.before, whole.before);
    const [a, b] = [await loadCheckpoint(path.join(tmp, 'whole', CHECKPOINT_FILE)), await loadCheckpoint(path.join(cut, CHECKPOINT_FILE))];
    sameTensors(a.params, b.params, 'parameter');
    sameTensors(a.m, b.m, 'Adam m');
    sameTensors(a.v, b.v, 'Adam v');
  });

  it('--stop-at stops on the whole run\'s schedule with the model exported, and a resume finishes it as if never stopped', async () => {
    const opts = (outDir: string): TrainOptions => ({
      inputs: [path.join(sourceDir, 'semver')], from: fixture('roberta-tiny-bpe'), outDir, steps: 12, stepsPerCall: 8, batch: 4, seq: 64, threads: 1, seed: 9,
    });
    const whole = await train(opts(path.join(tmp, 'stop-whole')));
    const out = path.join(tmp, 'stop-at');
    const first = await train({ ...opts(out), stopAtStep: 4 });
    assert.equal(first.stopped, 'step');
    assert.equal(first.step, 4, 'a call of 8 steps is cut short at the stop');
    assert.equal(first.totalSteps, 12);
    assert.ok(first.modelDir && existsSync(path.join(first.modelDir)), 'the model at the stop is exported');
    const rest = await train({ inputs: [], outDir: out, resume: true });
    assert.equal(rest.stopped, 'done');
    const [a, b] = [await loadCheckpoint(path.join(tmp, 'stop-whole', CHECKPOINT_FILE)), await loadCheckpoint(path.join(out, CHECKPOINT_FILE))];
    sameTensors(a.params, b.params, 'parameter');
  });

  it('a resume may change the thread count, and the plan keeps the new one', async () => {
    const outDir = path.join(tmp, 'threads');
    const controller = new AbortController();
    const opts: TrainOptions = {
      inputs: [path.join(sourceDir, 'semver')], from: fixture('roberta-tiny-bpe'), outDir, steps: 12, stepsPerCall: 4, batch: 4, seq: 64, threads: 1, seed: 9,
      signal: controller.signal, onProgress: (p) => p.step >= 4 && controller.abort(),
    };
    assert.equal((await train(opts)).stopped, 'cancelled');
    const logs: string[] = [];
    const rest = await train({ inputs: [], outDir, resume: true, threads: 2, log: (m) => logs.push(m) });
    assert.equal(rest.stopped, 'done');
    assert.equal(rest.step, 12);
    assert.equal(((await loadCheckpoint(path.join(outDir, CHECKPOINT_FILE))).hyper as { threads?: number }).threads, 2);
    assert.ok(logs.some((m) => /resuming with 2 threads \(the run used 1\)/.test(m)), logs.join('\n'));
  });

  it('kill -9 mid-run, then --resume: parameters, moments, RNG, cursor and exported model equal an uninterrupted run’s', async () => {
    const steps = 160;
    const args = (out: string) => [sourceDir, '--from', fixture('bert-tiny-wordpiece'), '--out', out, '--steps', String(steps),
      '--steps-per-call', '4', '--checkpoint-every', '8', '--threads', '2', '--seq', '64', '--batch', '8', '--seed', '3'];

    const a = path.join(tmp, 'uninterrupted');
    const ra = await runCli('train', args(a));
    assert.equal(ra.code, 0, ra.stderr);

    const b = path.join(tmp, 'killed');
    const child = spawnCli('train', args(b));
    child.stdout!.resume();
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    let running = true;
    const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_c, s) => { running = false; r(s); }));
    // Kill once training is well under way (a checkpoint has been written and more steps are running).
    const logFile = path.join(b, LOG_FILE);
    for (;;) {
      const lastStep = existsSync(logFile)
        ? Math.max(0, ...readFileSync(logFile, 'utf8').trim().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { step: number }).step))
        : 0;
      if (lastStep >= 44) break;
      assert.ok(running, `the training process ended before it could be killed: ${stderr}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    const atKill = await loadCheckpoint(path.join(b, CHECKPOINT_FILE));
    assert.ok(atKill.step >= 40 && atKill.step < steps, `the killed run left a mid-run checkpoint (step ${atKill.step})`);
    assert.ok(!existsSync(path.join(b, MODEL_DIR)), 'the killed run did not finish');

    const rb = await runCli('train', ['--resume', '--out', b]);
    assert.equal(rb.code, 0, rb.stderr);
    assert.match(rb.stderr, new RegExp(`resuming .* at step ${atKill.step} of ${steps}`));

    const ca = await loadCheckpoint(path.join(a, CHECKPOINT_FILE));
    const cb = await loadCheckpoint(path.join(b, CHECKPOINT_FILE));
    assert.equal(cb.step, steps);
    assert.equal(ca.step, steps);
    sameTensors(ca.params, cb.params, 'parameter');
    sameTensors(ca.m, cb.m, 'Adam m');
    sameTensors(ca.v, cb.v, 'Adam v');
    assert.deepEqual(cb.rng, ca.rng);
    assert.deepEqual(cb.cursor, ca.cursor);
    assert.deepEqual(cb.extra, ca.extra, 'the resumed run kept the first run’s before-training evaluation');
    const summary = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'summary.json'), 'utf8')) as { after: unknown; exactResume: boolean };
    assert.deepEqual(summary(b).after, summary(a).after);
    assert.equal(summary(b).exactResume, true);
    // The exported model: the version each run folder's pointer names.
    const [ma, mb] = [await resolveModelDir(path.join(a, MODEL_DIR)), await resolveModelDir(path.join(b, MODEL_DIR))];
    assert.ok(readFileSync(path.join(ma, 'config.json')).equals(readFileSync(path.join(mb, 'config.json'))));
    const onnxA = readdirOnnx(ma);
    assert.ok(onnxA.length > 0);
    for (const f of onnxA) assert.ok(readFileSync(path.join(ma, f)).equals(readFileSync(path.join(mb, f))), `${f} identical`);
  });
});

function readdirOnnx(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(path.join(d, e.name), path.join(rel, e.name));
      else if (e.name.endsWith('.onnx')) out.push(path.join(rel, e.name));
    }
  };
  walk(dir, '');
  return out;
}
