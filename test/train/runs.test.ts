// The service's answer to "which run is unfinished": the newest run with a checkpoint and no finished summary.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CHECKPOINT_FILE, RUN_FILE, SUMMARY_FILE } from '../../src/train/runLayout';
import { discardRun, findUnfinishedRun, markRun } from '../../src/train/runs';

describe('unfinished training runs', () => {
  let runs: string;
  beforeEach(() => (runs = mkdtempSync(path.join(os.tmpdir(), 'cloze-runs-'))));
  afterEach(() => rmSync(runs, { recursive: true, force: true }));

  const run = async (name: string, mode: 'continue' | 'fresh', files: { checkpoint?: boolean; stopped?: string; step?: number }): Promise<string> => {
    const dir = path.join(runs, name);
    await markRun(dir, mode);
    if (files.checkpoint) writeFileSync(path.join(dir, CHECKPOINT_FILE), 'x');
    if (files.stopped) writeFileSync(path.join(dir, SUMMARY_FILE), JSON.stringify({ stopped: files.stopped, step: files.step }));
    return dir;
  };

  it('no runs folder, or no runs: nothing to resume', async () => {
    assert.equal(await findUnfinishedRun(path.join(runs, 'missing')), undefined);
    assert.equal(await findUnfinishedRun(runs), undefined);
  });

  it('a run killed before its summary, or cancelled, is offered with its mode and step', async () => {
    const killed = await run('20260101-000000', 'fresh', { checkpoint: true });
    assert.deepEqual(await findUnfinishedRun(runs), { dir: killed, mode: 'fresh' });
    const cancelled = await run('20260102-000000', 'continue', { checkpoint: true, stopped: 'cancelled', step: 12 });
    assert.deepEqual(await findUnfinishedRun(runs), { dir: cancelled, mode: 'continue', step: 12 });
  });

  it('when the newest run finished (done or out of time) nothing is offered, even if an older one was cut off', async () => {
    await run('20260101-000000', 'continue', { checkpoint: true });
    await run('20260102-000000', 'continue', { checkpoint: true, stopped: 'time', step: 40 });
    assert.equal(await findUnfinishedRun(runs), undefined);
  });

  it('a run without a checkpoint is not resumable; a discarded run is passed over for the one before', async () => {
    await run('20260103-000000', 'continue', {});
    assert.equal(await findUnfinishedRun(runs), undefined);
    const older = await run('20260101-000000', 'continue', { checkpoint: true, stopped: 'cancelled', step: 3 });
    const newer = await run('20260104-000000', 'fresh', { checkpoint: true });
    await discardRun(newer);
    assert.deepEqual(JSON.parse(readFileSync(path.join(newer, RUN_FILE), 'utf8')), { mode: 'fresh', discarded: true });
    // 20260103 (no checkpoint) is now the newest run that counts: it never got going, so there is nothing to resume.
    assert.equal(await findUnfinishedRun(runs), undefined);
    rmSync(path.join(runs, '20260103-000000'), { recursive: true });
    assert.deepEqual(await findUnfinishedRun(runs), { dir: older, mode: 'continue', step: 3 });
  });

  it('a folder that is not a run (no run file) is skipped', async () => {
    mkdirSync(path.join(runs, '99999999-999999'));
    const dir = await run('20260101-000000', 'continue', { checkpoint: true });
    assert.deepEqual(await findUnfinishedRun(runs), { dir, mode: 'continue' });
  });
});
