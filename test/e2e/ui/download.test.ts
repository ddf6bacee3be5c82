// "Cloze: Download Model…" from the command palette against a local Hub (real HTTP, throttled so progress shows):
// the quick pick takes a typed id, a notification shows bytes and speed, then the model is selected and fills.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FakeHub, repoFromFolder } from '../../hubServer';
import { fixturesDir } from '../codeServer';
import { screenshot, uiSession } from './session';

const hub = new FakeHub();
const hfHome = fs.mkdtempSync(path.join(os.tmpdir(), 'cloze-ui-hf-'));

// Root-level hooks run before any suite starts the shared workbench, so code-server (and the extension host and
// service it starts) inherit the local Hub's address and an empty Hugging Face cache.
before(async () => {
  await hub.start();
  hub.repos.set('cloze-test/bert-tiny', repoFromFolder(path.join(fixturesDir, 'bert-tiny-wordpiece'), { skip: (f) => f === 'model.onnx' || f.startsWith('reference') }));
  process.env.HF_ENDPOINT = hub.endpoint;
  process.env.HF_HOME = hfHome;
  process.env.CLOZE_CACHE = path.join(hfHome, 'cloze');
});
after(async () => {
  await hub.stop();
  fs.rmSync(hfHome, { recursive: true, force: true });
});

describe('Cloze in the browser: Download Model from the Hub', () => {
  after(async () => {
    const s = await uiSession();
    s.setUserSettings({});
    await s.workbench.closeAllEditors();
  });

  it('palette → typed Hub id → progress notification with bytes and speed → model selected and filling', async () => {
    const { workbench, page, workspace, clozeLog, writeFile } = await uiSession();
    hub.throttle = { bytes: 48 * 1024, ms: 200 };
    await workbench.runCommand('Cloze: Download Model', true);
    const rows = page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
    await rows.filter({ hasText: 'distilroberta-base' }).first().waitFor();
    const offered = await rows.allInnerTexts();
    console.log(`      offered: ${offered.map((l) => l.replace(/\s+/g, ' ')).join(' | ')}`);
    assert.ok(offered.some((l) => /MB/.test(l) && /Apache-2\.0|MIT/.test(l)), 'recommended models show size and licence');
    await page.locator('.quick-input-widget input').fill('cloze-test/bert-tiny');
    await rows.filter({ hasText: 'cloze-test/bert-tiny' }).first().waitFor();
    await page.keyboard.press('Enter');

    const progress = await workbench.notification(/downloading cloze-test\/bert-tiny/);
    await progress.locator(':scope', { hasText: /model\.safetensors — [\d.]+ (kB|MB) of [\d.]+ MB at [\d.]+ (kB|MB)\/s/ }).waitFor({ timeout: 30_000 });
    const text = (await progress.innerText()).replace(/\s+/g, ' ');
    console.log(`      progress: ${text}`);
    await screenshot('ui-download-progress');
    hub.throttle = undefined;

    await workbench.statusBarItem(/bert-tiny ·/).first().waitFor({ timeout: 120_000 });
    // code-server is a remote window: the command's user-level write lands in the remote (Machine) settings.
    const userData = path.join(path.dirname(workspace), 'user-data');
    const values = ['User', 'Machine'].map((d) => (JSON.parse(fs.readFileSync(path.join(userData, d, 'settings.json'), 'utf8')) as Record<string, unknown>)['cloze.model']);
    assert.ok(values.includes('cloze-test/bert-tiny'), JSON.stringify(values));
    // The graph built from model.safetensors sits beside the snapshot (by commit and weights hash), not inside it.
    assert.match(clozeLog(), /Loaded bert-tiny from .*models--cloze-test--bert-tiny[\\/]\.cloze-onnx[\\/][0-9a-f]{40}-[0-9a-f]{16}/);
    assert.ok(fs.existsSync(path.join(hfHome, 'hub', 'models--cloze-test--bert-tiny', 'refs', 'main')));

    await workbench.runCommand('Notifications: Clear All Notifications');
    // A file of its own: what the model predicts depends on the whole window, and the sample files change.
    await workbench.openFile(writeFile('downloaded.txt', ''));
    await workbench.type('This program is free .');
    await page.keyboard.press('ArrowLeft');
    await workbench.type('[MASK]');
    const items = await workbench.suggestions();
    console.log(`      suggestions: ${items.map((i) => `${i.label} ${i.details}`).join(' | ')}`);
    // bert-tiny's best fill for this sentence alone (its PyTorch reference: test/e2e/ui/editing.test.ts).
    assert.strictEqual(items[0].label, 'software');
    await screenshot('ui-download-filled');
  });

  it('cloze.model set to a Hub id not in the cache: the service downloads it with a visible progress notification', async () => {
    const { workbench, clozeLog, setUserSettings } = await uiSession();
    hub.repos.set('cloze-test/bert-tiny-copy', repoFromFolder(path.join(fixturesDir, 'bert-tiny-wordpiece'), { skip: (f) => f === 'model.onnx' || f.startsWith('reference') }));
    hub.throttle = { bytes: 48 * 1024, ms: 200 };
    await workbench.runCommand('Notifications: Clear All Notifications');
    setUserSettings({ 'cloze.model': 'cloze-test/bert-tiny-copy' });
    const progress = await workbench.notification(/downloading cloze-test\/bert-tiny-copy \(cloze\.model\)/);
    await progress.locator(':scope', { hasText: /model\.safetensors — [\d.]+ (kB|MB) of [\d.]+ MB at [\d.]+ (kB|MB)\/s/ }).waitFor({ timeout: 30_000 });
    console.log(`      progress: ${(await progress.innerText()).replace(/\s+/g, ' ')}`);
    await screenshot('ui-download-setting-progress');
    hub.throttle = undefined;
    await workbench.statusBarItem(/bert-tiny-copy ·/).first().waitFor({ timeout: 120_000 });
    assert.match(clozeLog(), /The service is downloading cloze-test\/bert-tiny-copy, which cloze\.model names/);
    assert.ok(fs.existsSync(path.join(hfHome, 'hub', 'models--cloze-test--bert-tiny-copy', 'refs', 'main')));
    await workbench.runCommand('Notifications: Clear All Notifications');
    assert.ok(hub.requests(/\/api\/models\/cloze-test\/bert-tiny-copy\//).length >= 1);
  });
});
