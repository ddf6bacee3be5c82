// The prepared-data cache of a run folder: a hit gives the very rows, dataHash and losses; stale or damaged caches are rebuilt.
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadFramingTokenizer, type FramingTokenizer } from '../../src/core/tokenizer';
import { loadCheckpoint } from '../../src/train/checkpoint';
import { saveDataCache } from '../../src/train/dataCache';
import { dataKey } from '../../src/train/dataKey';
import { CHECKPOINT_FILE, DATA_CACHE_FILE, LOG_FILE, SUMMARY_FILE } from '../../src/train/runLayout';
import { discardRun, markRun, releaseFinishedRunData } from '../../src/train/runs';
import { prepareData, type Data } from '../../src/train/trainData';
import { train, type TrainOptions, type TrainPlan } from '../../src/train/trainer';
import { fixture, repoRoot } from '../paths';

const semver = path.join(repoRoot, 'test', 'fixtures', 'corpus', 'source', 'semver');
const HIT = /none read again/;
const STALE = /made from other files or settings/;
const DAMAGED = /is damaged/;

/** Sets every file's times to `secondsAgo` in the past: files older than the cache's racy window, as a real corpus's are. */
function age(dir: string, secondsAgo = 3600): void {
  const t = Date.now() / 1000 - secondsAgo;
  for (const f of readdirSync(dir, { recursive: true, encoding: 'utf8' })) utimesSync(path.join(dir, f), t, t);
}

/** A copy of the semver fixture corpus that a test may edit. */
function corpusCopy(tmp: string, name: string): string {
  const dir = path.join(tmp, name);
  cpSync(semver, dir, { recursive: true });
  age(dir);
  return dir;
}

function planFor(tok: FramingTokenizer, inputs: string[], over: Partial<TrainPlan> = {}): TrainPlan {
  return {
    inputs, exclude: [], from: null, tokenizerDir: tok.dir, totalSteps: 1, batch: 4, seq: 64, maxMasked: 10, stepsPerCall: 1, lr: 1e-3,
    warmup: 0, decay: 'linear', minLrRatio: 0, weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8, clipNorm: 1, seed: 1,
    heldOutFraction: 0.1, wholeWord: false, maskProb: 0.15, threads: 1, ...over,
  };
}

/** Prepares with the cache in `runDir`, returning the data and the log lines. */
async function prepared(plan: TrainPlan, tok: FramingTokenizer, runDir: string): Promise<{ data: Data; log: string[] }> {
  const log: string[] = [];
  const data = await prepareData(plan, tok, (m) => log.push(m), runDir);
  return { data, log };
}

function sameData(a: Data, b: Data): void {
  assert.equal(a.dataHash, b.dataHash);
  assert.equal(a.trainFiles, b.trainFiles);
  assert.equal(a.heldOutFiles, b.heldOutFiles);
  for (const k of ['train', 'heldOut'] as const) {
    assert.equal(a[k].seq, b[k].seq);
    assert.equal(a[k].count, b[k].count);
    assert.equal(a[k].tokens, b[k].tokens);
    assert.deepEqual(a[k].ids, b[k].ids, `${k} ids`);
    assert.deepEqual(a[k].wordStart, b[k].wordStart, `${k} word starts`);
    assert.deepEqual(a[k].lengths, b[k].lengths, `${k} lengths`);
  }
}

function matching(log: readonly string[], re: RegExp): number {
  return log.filter((l) => re.test(l)).length;
}

describe('prepared-data cache', function () {
  this.timeout(300_000);
  let tmp: string;
  let tok: FramingTokenizer;
  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'cloze-datacache-'));
    tok = await loadFramingTokenizer(fixture('roberta-tiny-bpe'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('a second preparation loads the saved rows: identical to preparing without a cache, dataHash included', async () => {
    const corpus = corpusCopy(tmp, 'c-hit');
    const run = path.join(tmp, 'r-hit');
    const plan = planFor(tok, [corpus]);
    const reference = await prepareData(plan, tok, () => undefined);
    const first = await prepared(plan, tok, run);
    assert.equal(matching(first.log, HIT), 0);
    assert.ok(first.log.some((l) => l.startsWith('saved the prepared data')), first.log.join('\n'));
    assert.ok(existsSync(path.join(run, DATA_CACHE_FILE)));
    const second = await prepared(plan, tok, run);
    assert.equal(matching(second.log, HIT), 1, second.log.join('\n'));
    assert.equal(second.log.length, 1, 'one line: the data summary');
    // The summary line is the one a run without the cache logs, with what the cache saved after it.
    assert.ok(second.log[0].startsWith(first.log[0]), `${second.log[0]}\nvs ${first.log[0]}`);
    sameData(first.data, reference);
    sameData(second.data, reference);
  });

  it('a changed, added or newly ignored file, or another setting or tokenizer, misses the cache; the new data is what a cold start gives', async () => {
    const corpus = corpusCopy(tmp, 'c-change');
    const run = path.join(tmp, 'r-change');
    const plan = planFor(tok, [corpus]);
    const original = (await prepared(plan, tok, run)).data;
    const expectMiss = async (what: string, p: TrainPlan, t = tok): Promise<Data> => {
      const r = await prepared(p, t, run);
      assert.equal(matching(r.log, STALE), 1, `${what}: ${r.log.join('\n')}`);
      assert.equal(matching(r.log, HIT), 0, what);
      sameData(r.data, await prepareData(p, t, () => undefined));
      const again = await prepared(p, t, run);
      assert.equal(matching(again.log, HIT), 1, `${what}, prepared again: ${again.log.join('\n')}`);
      return r.data;
    };
    const differs = (a: Data, b: Data): boolean => a.dataHash !== b.dataHash || Buffer.compare(Buffer.from(a.heldOut.ids.buffer, a.heldOut.ids.byteOffset, a.heldOut.ids.byteLength), Buffer.from(b.heldOut.ids.buffer, b.heldOut.ids.byteOffset, b.heldOut.ids.byteLength)) !== 0;

    // Longer text, its time moved (still old enough to cache).
    const file = path.join(corpus, 'functions', 'inc.js');
    appendFileSync(file, '\n// a line added to change the rows\nconst addedForTheTest = inc(version);\n');
    age(corpus, 7200);
    assert.ok(differs(await expectMiss('a longer file', plan), original));
    // The same size, another time: stat alone sees it, no file is read.
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace('addedForTheTest', 'addedForTheTEST'));
    assert.equal(statSync(file).size, Buffer.byteLength(text));
    age(corpus, 5400);
    await expectMiss('a same-size edit', plan);
    // A new file, then a .gitignore that leaves it out.
    writeFileSync(path.join(corpus, 'added.js'), 'export const added = require("./index.js").valid("1.2.3");\n');
    age(corpus, 5000);
    await expectMiss('an added file', plan);
    writeFileSync(path.join(corpus, '.gitignore'), 'added.js\n');
    age(corpus, 4000);
    await expectMiss('a .gitignore', plan);
    // Settings and tokenizer.
    await expectMiss('--seq', planFor(tok, [corpus], { seq: 32 }));
    await expectMiss('the held-out share', planFor(tok, [corpus], { heldOutFraction: 0.3 }));
    await expectMiss('the held-out rule', planFor(tok, [corpus], { heldOutBy: 'size' }));
    await expectMiss('--exclude', planFor(tok, [corpus], { exclude: ['ranges/'] }));
    await expectMiss('the corpus cap', planFor(tok, [corpus], { maxCorpusBytes: 100_000 }));
    const bert = await loadFramingTokenizer(fixture('bert-tiny-wordpiece'));
    await expectMiss('another tokenizer', planFor(bert, [corpus]), bert);
  });

  it('files modified in the last seconds are not cached (a later edit in the same tick would go unseen)', async () => {
    const corpus = corpusCopy(tmp, 'c-racy');
    const run = path.join(tmp, 'r-racy');
    appendFileSync(path.join(corpus, 'index.js'), '\n// just edited\n');
    const plan = planFor(tok, [corpus]);
    const r = await prepared(plan, tok, run);
    assert.ok(r.log.some((l) => l.startsWith('not caching the prepared data')), r.log.join('\n'));
    assert.ok(!existsSync(path.join(run, DATA_CACHE_FILE)));
    assert.equal((await dataKey(plan, tok)).racy, true);
    age(corpus);
    assert.equal((await dataKey(plan, tok)).racy, false);
  });

  it('a truncated, bit-flipped or foreign cache file is reported in one line and rebuilt, never trusted', async () => {
    const corpus = corpusCopy(tmp, 'c-corrupt');
    const run = path.join(tmp, 'r-corrupt');
    const plan = planFor(tok, [corpus]);
    const reference = await prepareData(plan, tok, () => undefined);
    await prepared(plan, tok, run);
    const file = path.join(run, DATA_CACHE_FILE);
    const good = readFileSync(file);
    const damage: [string, (b: Buffer) => Buffer][] = [
      ['truncated', (b) => b.subarray(0, Math.floor(b.length / 2))],
      ['header only', (b) => b.subarray(0, 40)],
      ['empty', () => Buffer.alloc(0)],
      ['one bit of the last row flipped', (b) => { const c = Buffer.from(b); c[c.length - 9] ^= 1; return c; }],
      ['one bit of the header flipped', (b) => { const c = Buffer.from(b); const i = c.indexOf('"trainFiles":') + 13; c[i] ^= 1; return c; }],
      ['not a cache', () => Buffer.from('{"format": 1}')],
      ['one byte longer', (b) => Buffer.concat([b, Buffer.from([0])])],
    ];
    for (const [what, hurt] of damage) {
      writeFileSync(file, hurt(good));
      const r = await prepared(plan, tok, run);
      assert.equal(matching(r.log, DAMAGED), 1, `${what}: ${r.log.join('\n')}`);
      sameData(r.data, reference);
      assert.ok(readFileSync(file).equals(good), `${what}: the cache was written again`);
      assert.equal(matching((await prepared(plan, tok, run)).log, HIT), 1, `${what}: then it hits`);
    }
    // A truncated write (the process killed mid-write) leaves only a temporary file: the next save removes it.
    writeFileSync(`${file}.tmp-1-2`, good.subarray(0, 100));
    rmSync(file);
    await prepared(plan, tok, run);
    assert.deepEqual(readdirSync(run), [DATA_CACHE_FILE]);
  });

  it('data over the size limit is not cached; discarding a run removes its cache', async () => {
    const corpus = corpusCopy(tmp, 'c-limit');
    const run = path.join(tmp, 'r-limit');
    const plan = planFor(tok, [corpus]);
    const data = await prepareData(plan, tok, () => undefined);
    const log: string[] = [];
    assert.equal(await saveDataCache(run, (await dataKey(plan, tok)).key, { data, skipped: 0 }, (m) => log.push(m), 64 * 1024), false);
    assert.match(log.join('\n'), /not caching the prepared data: .* is over the 0\.1 MiB limit/);
    assert.ok(!existsSync(path.join(run, DATA_CACHE_FILE)));
    await markRun(run, 'continue');
    await prepared(plan, tok, run);
    writeFileSync(path.join(run, CHECKPOINT_FILE), 'x');
    writeFileSync(path.join(run, `${DATA_CACHE_FILE}.tmp-1-2`), 'half');
    await discardRun(run);
    assert.deepEqual(readdirSync(run).sort(), [CHECKPOINT_FILE, 'cloze-run.json'].sort());
  });

  it('a run stopped for good lets its cache go: done, or an editor run out of time; a cancelled or CLI --minutes run keeps it', async () => {
    const cases: [string, 'done' | 'time' | 'cancelled', boolean, boolean][] = [
      ['done', 'done', false, false], ['editor, out of time', 'time', true, false], ['cli, out of time', 'time', false, true],
      ['editor, cancelled', 'cancelled', true, true], ['cli, cancelled', 'cancelled', false, true],
    ];
    for (const [name, stopped, editor, kept] of cases) {
      const dir = path.join(tmp, `release-${name.replace(/\W+/g, '-')}`);
      if (editor) await markRun(dir, 'continue');
      else mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, DATA_CACHE_FILE), 'rows');
      await releaseFinishedRunData(dir, stopped);
      assert.equal(existsSync(path.join(dir, DATA_CACHE_FILE)), kept, name);
    }
  });

  describe('in training runs', () => {
    const common = (corpus: string, outDir: string, losses: number[] = [], log: string[] = []): TrainOptions => ({
      inputs: [corpus], from: fixture('roberta-tiny-bpe'), outDir, steps: 24, stepsPerCall: 4, batch: 4, seq: 64, threads: 1, seed: 9,
      onProgress: (p) => losses.push(p.loss), log: (m) => log.push(m),
    });
    let corpus: string;
    let whole: { losses: number[]; dir: string; after: unknown };
    before(async () => {
      corpus = corpusCopy(tmp, 'c-train');
      const dir = path.join(tmp, 'whole');
      const losses: number[] = [];
      const r = await train(common(corpus, dir, losses));
      assert.equal(r.stopped, 'done');
      assert.ok(!existsSync(path.join(dir, DATA_CACHE_FILE)), 'a finished run keeps no prepared data');
      whole = { losses, dir, after: r.after };
    });

    const sameCheckpoint = async (dir: string): Promise<void> => {
      const [a, b] = [await loadCheckpoint(path.join(whole.dir, CHECKPOINT_FILE)), await loadCheckpoint(path.join(dir, CHECKPOINT_FILE))];
      assert.deepEqual(b.cursor, a.cursor, 'cursor and dataHash');
      assert.deepEqual(b.rng, a.rng);
      for (const which of ['params', 'm', 'v'] as const) {
        for (const [name, x] of a[which]) {
          const y = b[which].get(name)!;
          assert.ok(Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength)), `${which} ${name}`);
        }
      }
    };

    it('a restart that hits the cache trains on the same data: same dataHash, losses and parameters as without it', async () => {
      const dir = path.join(tmp, 'restart');
      const controller = new AbortController();
      const first = await train({ ...common(corpus, dir), signal: controller.signal, onProgress: (p) => p.step >= 4 && controller.abort() });
      assert.equal(first.stopped, 'cancelled');
      assert.ok(existsSync(path.join(dir, DATA_CACHE_FILE)));
      // As if the first start had been killed before its first checkpoint: only the cache is left.
      for (const f of [CHECKPOINT_FILE, LOG_FILE, SUMMARY_FILE]) rmSync(path.join(dir, f), { force: true });
      const losses: number[] = [];
      const log: string[] = [];
      const again = await train(common(corpus, dir, losses, log));
      assert.equal(matching(log, HIT), 1, log.join('\n'));
      assert.equal(again.stopped, 'done');
      assert.deepEqual(losses, whole.losses);
      assert.deepEqual(again.after, whole.after);
      await sameCheckpoint(dir);
    });

    it('a checkpoint made without a cache (today’s runs) resumes bit-exact, building the cache; the next resume hits it and stays exact', async () => {
      const dir = path.join(tmp, 'resumed');
      const stopAt = (n: number): Pick<TrainOptions, 'signal' | 'onProgress'> => {
        const c = new AbortController();
        return { signal: c.signal, onProgress: (p) => p.step >= n && c.abort() };
      };
      assert.equal((await train({ ...common(corpus, dir), ...stopAt(8) })).stopped, 'cancelled');
      rmSync(path.join(dir, DATA_CACHE_FILE));
      const log1: string[] = [];
      const r1 = await train({ inputs: [], outDir: dir, resume: true, log: (m) => log1.push(m), ...stopAt(16) });
      assert.equal(r1.stopped, 'cancelled');
      assert.equal(r1.exactResume, true);
      assert.equal(matching(log1, HIT), 0);
      assert.ok(log1.some((l) => l.startsWith('saved the prepared data')), log1.join('\n'));
      const log2: string[] = [];
      const r2 = await train({ inputs: [], outDir: dir, resume: true, log: (m) => log2.push(m) });
      assert.equal(matching(log2, HIT), 1, log2.join('\n'));
      assert.equal(r2.stopped, 'done');
      assert.equal(r2.exactResume, true);
      assert.deepEqual(r2.after, whole.after);
      await sameCheckpoint(dir);
      assert.ok(!existsSync(path.join(dir, DATA_CACHE_FILE)));
    });
  });
});
