// A trained model's export must leave a loadable model at every instant, even when the exporting process is killed with SIGKILL.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Engine } from '../../src/core/engine';
import { resolveModelDir } from '../../src/core/modelPointer';
import { exportModel } from '../../src/train/export';
import { cleanStaleExportsIn, publishModel, type PublishStep } from '../../src/train/exportPointer';
import { importModel } from '../../src/train/import';
import { PARAM } from '../../src/train/model';
import { fixturesDir } from './helpers';

const fixture = path.join(fixturesDir, 'bert-tiny-wordpiece');
const STEPS: PublishStep[] = ['cleaned', 'written', 'renamed', 'pointer-written', 'pointer-replaced', 'pruned'];

/** Exports the fixture model with its decoder bias set to `mark`, so a loaded folder tells which export it came from. */
async function exportMarked(dir: string, mark: number, onStep?: (s: PublishStep) => void | Promise<void>): Promise<string> {
  const { config, params } = await importModel(fixture);
  params.set(PARAM.decoderBias, new Float32Array(params.get(PARAM.decoderBias)!.length).fill(mark));
  return publishModel(dir, (folder) => exportModel(folder, config, params, fixture, { maskedVariant: true }), { onStep });
}

async function markOf(dir: string): Promise<number> {
  const { params } = await importModel(await resolveModelDir(dir));
  return params.get(PARAM.decoderBias)![0];
}

// Run as a child process: export with mark CLOZE_EXPORT_MARK and kill this process with SIGKILL after step CLOZE_EXPORT_KILL_AT.
if (require.main === module && process.env.CLOZE_EXPORT_DIR) {
  const killAt = process.env.CLOZE_EXPORT_KILL_AT;
  void exportMarked(process.env.CLOZE_EXPORT_DIR, Number(process.env.CLOZE_EXPORT_MARK), (s) => {
    if (s === killAt) process.kill(process.pid, 'SIGKILL');
  }).then(() => process.stdout.write('exported\n'));
} else {
  describe('crash-safe model export', function () {
    this.timeout(300_000);
    let root: string; // like the editor's runs/ folder
    let run: string;
    let dir: string;
    beforeEach(() => {
      root = mkdtempSync(path.join(os.tmpdir(), 'cloze-export-crash-'));
      run = path.join(root, 'run-1');
      dir = path.join(run, 'model');
      mkdirSync(run);
    });
    afterEach(() => rmSync(root, { recursive: true, force: true }));

    /** Runs an exporting child; resolves with its signal (SIGKILL when the kill landed) once it is gone. */
    const child = (mark: number, env: Record<string, string>, onSpawn?: (pid: number) => void): Promise<NodeJS.Signals | null> =>
      new Promise((resolve, reject) => {
        const c = spawn(process.execPath, [__filename], { env: { ...process.env, CLOZE_EXPORT_DIR: dir, CLOZE_EXPORT_MARK: String(mark), ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
        onSpawn?.(c.pid!);
        c.once('error', reject);
        c.once('exit', (code, signal) => (signal || code === 0 ? resolve(signal) : reject(new Error(`exporter exited ${code}`))));
      });

    const loads = async (want: number, why: string): Promise<void> => {
      const engine = await Engine.load(dir, { devices: ['cpu'] });
      try {
        assert.equal(engine.info.name, 'model', 'the model is named after the folder the setting names, not its version');
        assert.equal((await engine.fill('The capital of France is [MASK].', { topK: 3 }))[0].candidates.length, 3);
      } finally {
        await engine.dispose();
      }
      assert.equal(await markOf(dir), want, why);
    };

    const temporaries = (): string[] => [
      ...readdirSync(run).filter((n) => n !== 'model'),
      ...(existsSync(dir) ? readdirSync(dir).filter((n) => /\.tmp-|\.old-/.test(n)) : []),
    ];

    it('a SIGKILL after every step leaves the previous or the new model loadable; the next export cleans up', async () => {
      assert.equal(await child(1, {}), null);
      await loads(1, 'first export');
      let live = 1;
      let mark = 1;
      for (const step of STEPS) {
        mark++;
        assert.equal(await child(mark, { CLOZE_EXPORT_KILL_AT: step }), 'SIGKILL', `killed after ${step}`);
        // Until the pointer is replaced the old model is current; from then on the new one.
        if (STEPS.indexOf(step) >= STEPS.indexOf('pointer-replaced')) live = mark;
        await loads(live, `after a kill at "${step}"`);
      }
      mark++;
      assert.equal(await child(mark, {}), null);
      await loads(mark, 'a clean export after the kills');
      assert.deepEqual(temporaries(), [], 'no temporaries of killed exports remain');
      const versions = readdirSync(dir).filter((n) => /^v\d+$/.test(n));
      assert.equal(versions.length, 2, `the current and the previous version only: ${versions.join(', ')}`);
    });

    it('a SIGKILL in the middle of writing the model files leaves the previous model, and the next export removes the half-written one', async function () {
      await exportMarked(dir, 1);
      let pid = 0;
      const done = child(2, {}, (p) => (pid = p));
      // Kill as soon as the child has started writing its version folder.
      for (;;) {
        if (readdirSync(dir).some((n) => n.includes('.tmp-'))) break;
        await new Promise((r) => setTimeout(r, 2));
      }
      process.kill(pid, 'SIGKILL');
      assert.equal(await done, 'SIGKILL');
      assert.ok(temporaries().length > 0, 'the kill landed mid-write');
      await loads(1, 'the half-written version is never current');
      // The next run cleans up when it starts (train() in its own folder, the service in every run folder).
      await cleanStaleExportsIn(root, 'model');
      assert.deepEqual(temporaries(), []);
      await loads(1, 'cleaning up keeps the current model');
      await exportMarked(dir, 3);
      await loads(3, 'the next export');
      assert.deepEqual(temporaries(), []);
    });

    it('repairs what the old rename-swap export left after a kill between its renames (no model/, model.old-PID, model.tmp-PID)', async () => {
      // A PID that is surely gone: a process that has exited.
      const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
      // The old export's flat layout: the model files right in the folder.
      const { config, params } = await importModel(fixture);
      params.set(PARAM.decoderBias, new Float32Array(params.get(PARAM.decoderBias)!.length).fill(5));
      await exportModel(path.join(run, `model.old-${dead}`), config, params, fixture, { maskedVariant: true });
      mkdirSync(path.join(run, `model.tmp-${dead}`, 'onnx'), { recursive: true });
      await exportMarked(dir, 7, async (s) => {
        // The old model is back in place before anything else happens, and stays loadable until the switch.
        if (s === 'cleaned') await loads(5, 'the restored model');
      });
      await loads(7, 'the new export');
      assert.deepEqual(temporaries(), [], 'the stale model.old-PID and model.tmp-PID are gone');
      assert.deepEqual(readdirSync(dir).filter((n) => !/^v\d+$/.test(n)), ['cloze-current.json'], 'the restored flat model was replaced by versions');
    });
  });
}
