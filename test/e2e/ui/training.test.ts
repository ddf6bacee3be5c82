// "Cloze: Train on Workspace" from the command palette: pickers, preview, progress notification, training view, stop.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import type { Frame } from 'playwright-core';
import { repoRoot } from '../codeServer';
import { screenshot, uiSession } from './session';

/** The webview's page lives in nested iframes; find the frame that has the training view's elements. */
async function trainingFrame(frames: () => Frame[], timeoutMs = 60_000): Promise<Frame> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    for (const f of frames()) {
      if (await f.locator('#title').count().catch(() => 0)) return f;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('the training view did not appear');
}

describe('Cloze in the browser: Train on Workspace', () => {
  before(async () => {
    const s = await uiSession();
    // A real project to learn from: two npm packages' sources in the open workspace.
    fs.cpSync(path.join(repoRoot, 'test', 'fixtures', 'corpus', 'source'), path.join(s.workspace, 'project'), { recursive: true });
    // …and what must never become training data: a .env and a key in source (AWS's documentation example pair).
    fs.writeFileSync(path.join(s.workspace, 'project', '.env'), 'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n');
    fs.writeFileSync(path.join(s.workspace, 'project', 'aws.js'), "const s3 = new S3({ accessKeyId: 'AKIAIOSFODNN7EXAMPLE' });\nmodule.exports = s3;\n");
    await s.workbench.closeAllEditors();
  });
  after(async () => {
    const { workbench } = await uiSession();
    await workbench.runCommand('Cloze: Stop Training').catch(() => undefined);
    await workbench.closeAllEditors();
  });

  it('runs from the palette, previews the data, shows progress and the live view, and stops on request', async () => {
    const { workbench, page } = await uiSession();
    await workbench.runCommand('Cloze: Train on Workspace', true);
    const rows = page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
    await rows.filter({ hasText: '5 minutes' }).first().waitFor();
    await page.keyboard.press('Enter');
    await rows.filter({ hasText: 'Continue the current model' }).first().waitFor();
    await page.keyboard.press('Enter');

    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 60_000 });
    const preview = await dialog.innerText();
    console.log(`      preview: ${preview.replace(/\s+/g, ' ').slice(0, 300)}`);
    assert.match(preview, /train bert-tiny-wordpiece on \d+ files, [\d,]+ tokens; \d+ files held out/);
    assert.match(preview, /Skipped: .*\b1 secrets\b/, 'the .env is counted as a secret, not read');
    assert.match(preview, /\b1 secret-like strings replaced\b/, 'the key in aws.js is replaced');
    await screenshot('ui-train-preview');
    await dialog.locator('.monaco-button', { hasText: 'Start Training' }).click();

    const view = await trainingFrame(() => page.frames());
    await view.locator('#step', { hasText: /\d+ \/ \d+/ }).waitFor({ timeout: 120_000 });
    await view.locator('#scores td', { hasText: '%' }).first().waitFor({ timeout: 60_000 });
    const stats = (await view.locator('.stats').innerText()).replace(/\s+/g, ' ');
    console.log(`      view: ${stats}`);
    assert.match(stats, /tokens\/s/);
    assert.ok(await view.locator('canvas#loss').isVisible(), 'loss chart');
    await screenshot('ui-train-view');

    const progress = await workbench.notification(/Cloze: training on workspace/);
    const text = await progress.innerText();
    console.log(`      progress: ${text.replace(/\s+/g, ' ')}`);
    assert.match(text, /step \d+\/\d+ · loss [\d.]+ · [\d,]+ tokens\/s · ETA/);
    await screenshot('ui-train-progress');

    await workbench.runCommand('Cloze: Stop Training');
    const stopped = await workbench.notification(/training stopped at step \d+/);
    assert.match(await stopped.innerText(), /checkpoint is kept/);
    await view.locator('#state', { hasText: /stopped at step \d+/ }).waitFor({ timeout: 30_000 });
    await screenshot('ui-train-stopped');
  });
});
