// Failures a user can fix (a full disk, a damaged model config) end `cloze train` / `cloze eval` with one line of advice, not a stack.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ClozeError } from '../../src/core/errors';
import { Engine } from '../../src/core/engine';
import { loadCheckpoint, saveCheckpoint, type TrainingCheckpoint } from '../../src/train/checkpoint';
import { exportModel } from '../../src/train/export';
import { publishModel } from '../../src/train/exportPointer';
import { importModel } from '../../src/train/import';
import { Rng } from '../../src/train/rng';
import { cliMain as mainJs, fixture, repoRoot } from '../paths';

const semver = path.join(repoRoot, 'test', 'fixtures', 'corpus', 'source', 'semver');

function enospc(): NodeJS.ErrnoException {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
}

function state(step: number, n = 300_000): TrainingCheckpoint {
  const map = () => new Map([['w', new Float32Array(n).fill(step)]]);
  return { step, config: {}, hyper: {}, cursor: { epoch: 0, offset: step, dataHash: 'h' }, rng: Rng.fromSeed(1).state(), params: map(), m: map(), v: map() };
}

function cli(args: string[]): { code: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [mainJs, ...args], { cwd: repoRoot, encoding: 'utf8' });
  return { code: r.status, stderr: r.stderr };
}

const STACK = /^\s+at /m;

describe('disk full and damaged configs', function () {
  this.timeout(120_000);
  let tmp: string;
  beforeEach(() => (tmp = mkdtempSync(path.join(os.tmpdir(), 'cloze-disk-'))));
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it('a checkpoint write that hits ENOSPC is a ClozeError with advice; the previous checkpoint stays whole', async () => {
    const file = path.join(tmp, 'checkpoint.bin');
    await saveCheckpoint(file, state(1));
    // The disk fills up in the middle of the next save: every write after the first fails as a full disk does.
    const open = fsp.open;
    fsp.open = (async (...args: Parameters<typeof open>) => {
      const fh = await open(...args);
      let writes = 0;
      const write = fh.write.bind(fh) as (...a: unknown[]) => Promise<unknown>;
      (fh as unknown as { write: (...a: unknown[]) => Promise<unknown> }).write = async (...a: unknown[]) => {
        if (++writes > 1) throw enospc();
        return write(...a);
      };
      return fh;
    }) as typeof open;
    try {
      await assert.rejects(saveCheckpoint(file, state(2)), (e: unknown) => {
        assert.ok(e instanceof ClozeError, String(e));
        assert.match(e.userMessage, /^The disk is full: the checkpoint could not be written to .*checkpoint\.bin\. Free some space or choose another folder, then run again; the previous checkpoint is intact\.$/);
        return true;
      });
    } finally {
      fsp.open = open;
    }
    assert.equal((await loadCheckpoint(file)).step, 1);
    assert.deepEqual(readdirSync(tmp), ['checkpoint.bin'], 'the partial temp file is removed');
  });

  it('a model export that hits ENOSPC is a ClozeError; the previous model stays current and nothing half-written remains', async () => {
    const dir = path.join(tmp, 'model');
    const { config, params } = await importModel(fixture('bert-tiny-wordpiece'));
    await publishModel(dir, (f) => exportModel(f, config, params, fixture('bert-tiny-wordpiece')));
    await assert.rejects(
      publishModel(dir, async (f) => {
        await exportModel(f, config, params, fixture('bert-tiny-wordpiece'));
        throw enospc();
      }),
      (e: unknown) => e instanceof ClozeError && /^The disk is full: the trained model could not be written to .*model\. .*the checkpoint and the previous model are intact\.$/.test(e.userMessage),
    );
    assert.deepEqual(readdirSync(dir).sort(), ['cloze-current.json', 'v1']);
    const engine = await Engine.load(dir, { devices: ['cpu'] });
    await engine.dispose();
  });

  it('cloze train on a really full disk says so in one line (the stack only with --debug)', function () {
    this.timeout(300_000); // two short training runs: slow on a loaded machine
    // A 1 MB tmpfs is a real full disk; mounting one needs root on Linux.
    const mnt = path.join(tmp, 'full');
    mkdirSync(mnt);
    if (process.platform !== 'linux' || spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt]).status !== 0) this.skip();
    try {
      const args = ['train', semver, '--from', fixture('bert-tiny-wordpiece'), '--out', path.join(mnt, 'run'), '--steps', '2', '--seq', '32', '--batch', '2'];
      const r = cli(args);
      assert.equal(r.code, 1, r.stderr);
      const lines = r.stderr.trim().split('\n');
      assert.match(lines[lines.length - 1], /^cloze: The disk is full: the checkpoint could not be written to .*Free some space or choose another folder/);
      assert.doesNotMatch(r.stderr, STACK);
      const d = cli([...args.slice(0, 6), path.join(mnt, 'run2'), ...args.slice(7), '--debug']);
      assert.equal(d.code, 1);
      assert.match(d.stderr, /^cloze: The disk is full/m);
      assert.match(d.stderr, STACK, '--debug shows the stack');
    } finally {
      spawnSync('umount', [mnt]);
    }
  });

  it('cloze eval with a model whose config allows too few tokens fails in one line, not with a RangeError', () => {
    const model = path.join(tmp, 'm');
    cpSync(fixture('bert-tiny-wordpiece'), model, { recursive: true, filter: (src) => !src.endsWith('.safetensors') });
    const tc = path.join(model, 'tokenizer_config.json');
    writeFileSync(tc, JSON.stringify({ ...JSON.parse(readFileSync(tc, 'utf8')), model_max_length: 3 }));
    const r = cli(['eval', semver, '--model', model]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^cloze: .*allows only 3 tokens per sequence .*evaluation needs at least 8/);
    assert.doesNotMatch(r.stderr, STACK);
    assert.doesNotMatch(r.stderr, /RangeError/);
    assert.match(cli(['eval', semver, '--model', model, '--debug']).stderr, STACK);
    const bad = cli(['eval', semver, '--model', model, '--seed=-1']);
    assert.match(bad.stderr, /^cloze: --seed must be an integer ≥ 0/);
  });
});
