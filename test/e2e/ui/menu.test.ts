// The status-bar item opens Cloze's menu, and its "Show Log" entry opens the Cloze log in the Output panel.
import * as assert from 'assert';
import * as path from 'path';
import { screenshot, uiSession } from './session';

describe('Cloze in the browser: status bar menu', () => {
  beforeEach(async () => { await (await uiSession()).workbench.closeAllEditors(); });

  it('clicking the status bar item shows the menu; Show Log opens the Cloze output', async () => {
    const { workbench, page, workspace } = await uiSession();
    await workbench.openFile(path.join(workspace, 'sentences.txt'));
    await workbench.statusBarItem(/bert-tiny-wordpiece/).first().click({ timeout: 60_000 });
    const rows = page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
    await rows.first().waitFor();
    const labels = await rows.allInnerTexts();
    console.log(`      menu: ${labels.map((l) => l.split('\n')[0]).join(' | ')}`);
    await screenshot('ui-menu');
    for (const entry of ['Select Model Folder', 'Restart Service', 'Show Log', 'Train on Workspace', 'Show Training View', 'Turn Off for Plain Text']) {
      assert.ok(labels.some((l) => l.includes(entry)), `menu lacks "${entry}"`);
    }
    await rows.filter({ hasText: 'Show Log' }).first().click();
    const output = page.locator('.part.panel .monaco-editor .view-lines');
    await output.first().waitFor({ timeout: 30_000 });
    await page.locator('.part.panel .monaco-editor .view-line').first().waitFor();
    await screenshot('ui-log');
    assert.match(await output.first().innerText(), /\[info\]|\[warning\]|\[error\]/);
  });
});
