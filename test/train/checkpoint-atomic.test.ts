// A checkpoint on disk must always load whole, even when the writing process is killed with SIGKILL at any moment.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ClozeError } from '../../src/core/errors';
import { checkpointExists, loadCheckpoint, saveCheckpoint, type TrainingCheckpoint } from '../../src/train/checkpoint';
import { Rng } from '../../src/train/rng';

/** Deterministic content for step `step`, so a loaded checkpoint can be checked for being one complete, consistent save. */
function stateAt(step: number): TrainingCheckpoint {
  const sizes: [string, number][] = [['embeddings.word_embeddings.weight', 1_500_000], ['encoder.layer.0.attention.self.query.weight', 400_000], ['cls.predictions.bias', 6000]];
  const fill = (salt: number, n: number): Float32Array => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = step * 1000 + salt + (i % 997) * 1e-3;
    return a;
  };
  const map = (salt: number) => new Map(sizes.map(([name, n], k) => [name, fill(salt + k, n)]));
  const rng = Rng.fromSeed(17);
  for (let i = 0; i < step; i++) rng.nextU32();
  return {
    step,
    config: { hidden: 96, layers: 2 },
    hyper: { lr: 0.002, warmup: 10 },
    cursor: { epoch: Math.floor(step / 7), offset: step % 7, dataHash: 'abc' },
    rng: rng.state(),
    params: map(0),
    m: map(10),
    v: map(20),
    extra: { note: `step ${step}` },
  };
}

function assertConsistent(ck: TrainingCheckpoint): void {
  const want = stateAt(ck.step);
  assert.deepEqual(ck.cursor, want.cursor);
  assert.deepEqual(ck.rng, want.rng);
  assert.deepEqual(ck.extra, want.extra);
  for (const g of ['params', 'm', 'v'] as const) {
    assert.deepEqual([...ck[g].keys()].sort(), [...want[g].keys()].sort());
    for (const [name, arr] of want[g]) assert.ok(Buffer.from(ck[g].get(name)!.buffer).equals(Buffer.from(arr.buffer)), `${g} ${name} at step ${ck.step}`);
  }
}

// Run as a child process: resume from the checkpoint if there is one, then save step after step until killed.
if (require.main === module && process.env.CLOZE_CKPT_WRITER) {
  const file = process.env.CLOZE_CKPT_WRITER;
  void (async () => {
    let step = 0;
    if (await checkpointExists(file)) {
      const ck = await loadCheckpoint(file);
      assertConsistent(ck);
      step = ck.step;
    }
    process.stdout.write(`resumed ${step}\n`);
    for (;;) {
      step++;
      await saveCheckpoint(file, stateAt(step));
      process.stdout.write(`saved ${step}\n`);
    }
  })();
} else {
  describe('checkpoint files', () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'cloze-ckpt-'))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('round-trips parameters, moments, step, cursor, RNG, config and hyperparameters exactly', async () => {
      const file = path.join(dir, 'checkpoint.bin');
      const ck = stateAt(3);
      await saveCheckpoint(file, ck);
      const back = await loadCheckpoint(file);
      assert.equal(back.step, 3);
      assert.deepEqual(back.config, ck.config);
      assert.deepEqual(back.hyper, ck.hyper);
      assertConsistent(back);
      // The restored RNG continues the very same stream.
      const a = Rng.fromState(ck.rng), b = Rng.fromState(back.rng);
      assert.deepEqual(Array.from({ length: 10 }, () => b.nextU32()), Array.from({ length: 10 }, () => a.nextU32()));
      assert.deepEqual(readdirSync(dir), ['checkpoint.bin'], 'no temp file is left behind');
    });

    it('refuses a damaged or truncated file with an actionable error', async () => {
      const file = path.join(dir, 'checkpoint.bin');
      await saveCheckpoint(file, stateAt(1));
      const good = readFileSync(file);
      const flipped = Buffer.from(good);
      flipped[Math.floor(flipped.length / 2)] ^= 0x40;
      writeFileSync(file, flipped);
      await assert.rejects(loadCheckpoint(file), (e: unknown) => e instanceof ClozeError && e.code === 'checkpoint-corrupt' && /checksum/.test(e.message));
      writeFileSync(file, good.subarray(0, good.length - 1000));
      await assert.rejects(loadCheckpoint(file), (e: unknown) => e instanceof ClozeError && e.code === 'checkpoint-corrupt' && /truncated/.test(e.message));
      await assert.rejects(loadCheckpoint(path.join(dir, 'none.bin')), (e: unknown) => e instanceof ClozeError && e.code === 'checkpoint-missing');
    });

    it('survives kill -9 of the writer at random moments and mid-write; each restart resumes from the last whole save', async function () {
      this.timeout(180_000);
      const file = path.join(dir, 'checkpoint.bin');
      const rng = Rng.fromSeed(2024);
      let lastStep = 0;
      let killedMidWrite = 0;
      for (let round = 0; round < 8; round++) {
        const child = spawn(process.execPath, [__filename], { env: { ...process.env, CLOZE_CKPT_WRITER: file }, stdio: ['ignore', 'pipe', 'inherit'] });
        const lines = collectLines(child);
        const resumed = Number((await waitFor(lines, /^resumed (\d+)$/))[1]);
        assert.equal(resumed, lastStep, 'the restart resumed from the last checkpoint on disk');
        await waitFor(lines, /^saved \d+$/);
        if (round % 2 === 0) {
          // Kill at a random moment of the write loop.
          await sleep(50 + rng.int(400));
        } else {
          // Kill while a temp file is being written: the moment most likely to leave damage.
          await waitUntil(() => readdirSync(dir).some((n) => n.includes('.tmp-')));
        }
        child.kill('SIGKILL');
        await new Promise((r) => child.once('exit', r));
        if (readdirSync(dir).some((n) => n.includes('.tmp-'))) killedMidWrite++;
        const ck = await loadCheckpoint(file);
        assertConsistent(ck);
        assert.ok(ck.step > lastStep, `progress: step ${ck.step} after ${lastStep}`);
        lastStep = ck.step;
      }
      assert.ok(killedMidWrite >= 2, `${killedMidWrite} kills landed mid-write`);
      assert.ok(existsSync(file));
    });
  });
}

function collectLines(child: ChildProcess): string[] {
  const lines: string[] = [];
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    lines.push(...parts);
  });
  return lines;
}

async function waitFor(lines: string[], re: RegExp): Promise<RegExpMatchArray> {
  for (;;) {
    for (const l of lines) {
      const m = re.exec(l);
      if (m) return m;
    }
    await sleep(5);
  }
}

async function waitUntil(cond: () => boolean): Promise<void> {
  while (!cond()) await sleep(1);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
