// The surprisal lens in the real workbench: the palette command colours the visible tokens by the model's rank of
// them, a typo lands in the worst band, and hovering a token shows its bits and what the model expected.
import * as assert from 'assert';
import { screenshot, uiSession } from './session';

const CODE = 'def total(values):\n    return sum(vaules)\n';

describe('Cloze in the browser: surprisal lens', () => {
  before(async () => { await (await uiSession()).workbench.closeAllEditors(); });
  after(async () => {
    const { workbench } = await uiSession();
    await workbench.runCommand('Cloze: Show Surprisal (Toggle)').catch(() => undefined);
    await workbench.closeAllEditors();
  });

  it('Show Surprisal colours the tokens; the typo is in the top-100 or outer band; the hover gives bits and candidates', async () => {
    const { workbench, writeFile, page, setUserSettings } = await uiSession();
    setUserSettings({ 'cloze.model': '' }); // the bundled model: byte-level code model
    await workbench.openFile(writeFile('lens.py', CODE));
    await workbench.runCommand('Cloze: Show Surprisal (Toggle)');
    // Decorations are spans with an inline background colour class in the view lines.
    const red = page.locator('.editor-group-container.active .view-overlays div[class*="ced-"], .editor-group-container.active .view-line span[class*="ced-"]');
    await red.first().waitFor({ timeout: 60_000 });
    const hover = await workbench.hoverText('vaules', /Cloze surprisal/);
    const text = await hover.innerText();
    console.log(`      hover: ${JSON.stringify(text.slice(0, 200))}`);
    await screenshot('ui-surprisal');
    assert.match(text, /\d+\.\d bits \(rank \d+, (top-100|rest)\)/);
    assert.match(text, /The model expected:/);
    setUserSettings({});
  });
});
