// Restricted Mode in the real workbench: a workspace that is not trusted gets fills from the bundled model (its own
// `cloze.model` setting is ignored), and Train on Workspace says why it is off. Its own code-server, with trust on.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../browser';
import { CodeServer, loadTools, repoRoot, startCodeServer } from '../codeServer';
import { bertDir, screenshotsDir } from './session';
import { Workbench } from './workbench';
import { percentIn } from '../percent';

describe('Cloze in the browser: Restricted Mode', () => {
  let cs: CodeServer | undefined;
  let browser: Browser | undefined;
  let workbench: Workbench;
  let tmp = '';

  before(async () => {
    const tools = loadTools();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cloze-ui-restricted-'));
    const workspace = path.join(tmp, 'workspace');
    fs.cpSync(path.join(repoRoot, 'samples', 'workspace'), workspace, { recursive: true });
    // What an untrusted repository could carry: its own model for Cloze to run.
    fs.mkdirSync(path.join(workspace, '.vscode'));
    fs.writeFileSync(path.join(workspace, '.vscode', 'settings.json'), JSON.stringify({ 'cloze.model': bertDir }, null, 2));
    cs = await startCodeServer({
      workspace, workspaceTrust: true, smokeTestDriver: true, logFile: path.join(tmp, 'code-server.log'),
      settings: { 'security.workspace.trust.enabled': true, 'security.workspace.trust.startupPrompt': 'never', 'security.workspace.trust.untrustedFiles': 'open' },
    }, tools);
    browser = await launchChromium(tools);
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(cs.workbenchUrl(workspace, process.env.CLOZE_E2E_EXTENSION_PATH ?? repoRoot));
    workbench = new Workbench(page);
    await workbench.ready();
    await workbench.statusBarItem(/Restricted Mode/).first().waitFor({ timeout: 60_000 });
    await workbench.openFile(path.join(workspace, 'sentences.txt'));
  });

  after(async function () {
    const failed = this.test?.parent?.tests.some((t) => t.state === 'failed');
    if (failed && workbench) {
      fs.mkdirSync(screenshotsDir, { recursive: true });
      await workbench.page.screenshot({ path: path.join(screenshotsDir, 'FAILED-restricted-mode.png') }).catch(() => undefined);
    }
    await browser?.close().catch(() => undefined);
    await cs?.stop(failed);
    if (!failed && tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('fills a mask with the bundled model, not the workspace-configured one', async () => {
    const item = workbench.statusBarItem(/ · CPU/).first();
    await item.waitFor({ timeout: 120_000 });
    const text = (await item.textContent()) ?? '';
    assert.doesNotMatch(text, /bert-tiny-wordpiece/, `status bar: ${text}`);
    await workbench.newLineAtEnd();
    await workbench.type('This program is free [MASK]');
    const rows = await workbench.suggestions();
    assert.ok(rows.length > 0 && rows.every((r) => /%/.test(r.details)), `suggestions: ${JSON.stringify(rows)}`);
    const pct = rows.map((r) => percentIn(r.details) ?? NaN);
    assert.deepStrictEqual(pct, [...pct].sort((a, b) => b - a), `the list is not in probability order: ${pct.join(' ')}`);
    fs.mkdirSync(screenshotsDir, { recursive: true });
    await workbench.page.screenshot({ path: path.join(screenshotsDir, 'ui-restricted-fill.png') });
    await workbench.dismiss();
  });

  it('Train on Workspace is disabled with a message saying why', async () => {
    await workbench.runCommand('Cloze: Train on Workspace');
    const note = await workbench.notification(/disabled in Restricted Mode/);
    assert.match(await note.innerText(), /Trust the workspace/);
    await workbench.page.screenshot({ path: path.join(screenshotsDir, 'ui-restricted-train.png') });
  });
});
