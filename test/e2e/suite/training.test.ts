// "Cloze: Train on Workspace" in a real VS Code: progress events, stop, resume from the checkpoint, hot swap, fill.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { bertDir, clozeApi, repoRoot, closeAllEditors, completionsAt, labelOf, openDocument, positionAfter, useModel } from './clozeExtension';

interface TrainEvent { step: number; totalSteps: number; loss: number }
interface EvalEvent { phase: string; top1: number }
interface Summary { stopped: string; step: number; totalSteps: number; modelDir?: string; before?: { top1: number; perplexity: number }; after?: { top1: number; perplexity: number } }
interface TrainingApi {
  status(): Promise<{ model: string; modelDir: string; state: string }>;
  training: { onProgress: vscode.Event<TrainEvent>; onEval: vscode.Event<EvalEvent> };
}

describe('Train on Workspace', function () {
  this.timeout(240_000);
  let api: TrainingApi;

  before(async () => {
    // A real project to learn from: the sources of two npm packages (semver, mocha) copied into the open workspace.
    const ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(ws, 'the test needs an open folder');
    fs.cpSync(path.join(repoRoot, 'test', 'fixtures', 'corpus', 'source'), path.join(ws, 'project'), { recursive: true });
    await useModel(bertDir);
    api = (await clozeApi()) as unknown as TrainingApi;
  });
  after(async () => {
    await vscode.commands.executeCommand('cloze.revertModel');
    await closeAllEditors();
  });

  it('trains with progress, stops on request keeping the checkpoint, resumes, and swaps the new model in', async () => {
    const progress: TrainEvent[] = [];
    const evals: EvalEvent[] = [];
    const subs = [
      api.training.onProgress((e) => {
        progress.push(e);
        console.log(`    progress: step ${e.step}/${e.totalSteps} loss ${e.loss.toFixed(3)}`);
      }),
      api.training.onEval((e) => {
        evals.push(e);
        console.log(`    held-out ${e.phase}: top-1 ${(100 * e.top1).toFixed(1)}%`);
      }),
    ];
    try {
      // 1. Start (no pickers: budget, mode and confirmation given), stop after a few progress events.
      const first = vscode.commands.executeCommand<Summary | undefined>('cloze.trainWorkspace', { minutes: 10, mode: 'continue', yes: true, steps: 96 });
      const t0 = Date.now();
      while (progress.length < 2 && Date.now() - t0 < 120_000) await new Promise((r) => setTimeout(r, 100));
      assert.ok(progress.length >= 2, `only ${progress.length} progress events`);
      assert.ok(progress.every((p) => p.totalSteps === 96 && Number.isFinite(p.loss)), JSON.stringify(progress));
      assert.ok(progress[1].step > progress[0].step, 'steps advance');
      assert.deepStrictEqual(evals.map((e) => e.phase).slice(0, 1), ['before'], 'held-out evaluation before training');
      assert.strictEqual(await vscode.commands.executeCommand('cloze.stopTraining'), true, 'stop found no running training');
      const stopped = await first;
      assert.ok(stopped, 'the command returned no summary');
      assert.strictEqual(stopped.stopped, 'cancelled');
      assert.ok(stopped.step > 0 && stopped.step < 96, `stopped at ${stopped.step}`);
      assert.strictEqual(stopped.modelDir, undefined, 'a stopped run exports nothing');
      const stillOriginal = await api.status();
      assert.strictEqual(path.resolve(stillOriginal.modelDir), path.resolve(bertDir), 'the model changed without a finished run');

      // 2. Resume from the checkpoint: the run continues from where it stopped and finishes its plan.
      progress.length = 0;
      const done = await vscode.commands.executeCommand<Summary | undefined>('cloze.resumeTraining');
      assert.ok(done, 'resume returned no summary');
      assert.strictEqual(done.stopped, 'done');
      assert.strictEqual(done.step, 96);
      assert.ok(progress.length > 0 && progress[0].step > stopped.step, `resumed at ${progress[0]?.step}, stopped at ${stopped.step}`);
      assert.ok(done.before && done.after, 'before/after scores');
      assert.ok(done.after.perplexity < done.before.perplexity, `held-out perplexity ${done.before.perplexity} → ${done.after.perplexity}`);
      assert.ok(evals.some((e) => e.phase === 'after'));

      // 3. Hot swap: the service now runs the exported model, without a restart, and fills masks with it.
      assert.ok(done.modelDir);
      const st = await api.status();
      assert.strictEqual(st.state, 'ready');
      assert.strictEqual(path.resolve(st.modelDir), path.resolve(done.modelDir));
      const { document: doc } = await openDocument('This program is free [MASK].');
      const items = await completionsAt(doc, positionAfter(doc, '[MASK]'), ']');
      assert.ok(items.length > 0, 'no completions from the trained model');
      assert.ok(items.every((i) => labelOf(i).length > 0));

      // 4. Revert: the previous model is one command away.
      await vscode.commands.executeCommand('cloze.revertModel');
      assert.strictEqual(path.resolve((await api.status()).modelDir), path.resolve(bertDir));
    } finally {
      subs.forEach((s) => s.dispose());
    }
  });

  it('cloze.train.masking surprisal trains with informed masking (the run\'s plan and checkpoint say so)', async () => {
    await vscode.workspace.getConfiguration('cloze.train').update('masking', 'surprisal', vscode.ConfigurationTarget.Global);
    try {
      const done = await vscode.commands.executeCommand<Summary | undefined>('cloze.trainWorkspace', { minutes: 10, mode: 'continue', yes: true, steps: 16 });
      assert.ok(done && done.stopped === 'done' && done.modelDir, `the run finished: ${JSON.stringify(done)}`);
      // The run folder is the exported model's grandparent (<run>/model/<version>) or parent; its checkpoint's JSON
      // header (after "CLOZECK1" and a u32 length) holds the plan and the informed-masking table.
      const runDir = [path.dirname(done.modelDir), path.dirname(path.dirname(done.modelDir))].find((d) => fs.existsSync(path.join(d, 'checkpoint.bin')));
      assert.ok(runDir, `no checkpoint next to ${done.modelDir}`);
      const file = fs.readFileSync(path.join(runDir, 'checkpoint.bin'));
      const header = JSON.parse(file.subarray(12, 12 + file.readUInt32LE(8)).toString('utf8')) as { hyper: { masking?: string }; extra?: { surprisal?: { count: number } } };
      assert.strictEqual(header.hyper.masking, 'surprisal');
      assert.ok((header.extra?.surprisal?.count ?? 0) > 0, 'the checkpoint holds the surprisal table');
      await vscode.commands.executeCommand('cloze.revertModel');
    } finally {
      await vscode.workspace.getConfiguration('cloze.train').update('masking', undefined, vscode.ConfigurationTarget.Global);
    }
  });
});
