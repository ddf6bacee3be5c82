// Issue 11 in the real workbench: a multi-piece identifier filled as one whole word from the completion list, and two
// masks on a line filled together (a joint fill) from the completion list and from the ghost text.
import * as assert from 'assert';
import { screenshot, uiSession } from './session';
import type { Workbench } from './workbench';
import { percentIn } from '../percent';

/** Puts the cursor `back` characters before the end of the first line and types `[MASK]` there. */
async function typeMaskBefore(workbench: Workbench, back: number): Promise<void> {
  await workbench.page.keyboard.press('Control+Home');
  await workbench.page.keyboard.press('End');
  for (let i = 0; i < back; i++) await workbench.page.keyboard.press('ArrowLeft');
  await workbench.type('[MASK]');
}

describe('Cloze in the browser: whole words and joint fills (issue 11)', () => {
  beforeEach(async () => { await (await uiSession()).workbench.closeAllEditors(); });
  after(async () => { (await uiSession()).setUserSettings({}); });

  it('the bundled model offers setState (Ġset + State) as one whole word in the list; Enter writes the whole word', async () => {
    const { workbench, writeFile, setUserSettings } = await uiSession();
    setUserSettings({ 'cloze.model': '', 'cloze.maxPieces': 4 });
    const line = 'const [state, setState] = (0);';
    await workbench.openFile(writeFile('whole-word.txt', `${line}\n`));
    // The status bar item shows beside an editor where Cloze is active: the bundled model has replaced the fixture.
    await workbench.statusBarItem(/default/).first().waitFor({ timeout: 120_000 });
    await typeMaskBefore(workbench, '(0);'.length);
    let rows = await workbench.suggestions();
    // A list opened before the bundled model had replaced the fixture is asked for again.
    if (!rows.some((r) => r.label === 'setState')) {
      await workbench.page.keyboard.press('Escape');
      await workbench.page.keyboard.press('Control+Space');
      rows = await workbench.suggestions();
    }
    console.log(`      rows: ${rows.map((r) => `${r.label} ${r.details}`).join(' | ')}`);
    await screenshot('ui-whole-word-list');
    const at = rows.findIndex((r) => r.label === 'setState');
    assert.ok(at >= 0, `no whole word setState among ${rows.map((r) => r.label).join(', ')}`);
    assert.ok(rows.every((r) => /\d%/.test(r.details)), 'a row without its percentage');
    const shares = rows.map((r) => percentIn(r.details) ?? NaN);
    assert.ok(Math.abs(shares.reduce((a, b) => a + b, 0) - 100) < 1, `shares of the listed words should sum to 100%: ${shares.join(' ')}`);
    for (let i = 0; i < at; i++) await workbench.page.keyboard.press('ArrowDown');
    await workbench.page.keyboard.press('Enter');
    const filled = 'const [state, setState] = setState(0);';
    assert.strictEqual(await workbench.lineText('const [state', filled), filled);
    await screenshot('ui-whole-word-filled');
  });

  const SENTENCE = 'You should have received a [MASK] of the GNU General Public  along with this program.';
  const TAIL = ' along with this program.'.length;
  const BOTH = 'You should have received a copy of the GNU General Public license along with this program.';

  it('two masks on a line: the list offers the consistent pair first (joint probability); Enter fills both', async () => {
    const { workbench, writeFile, setUserSettings } = await uiSession();
    setUserSettings({});
    await workbench.openFile(writeFile('joint-list.txt', `${SENTENCE}\n`));
    await workbench.statusBarItem(/bert-tiny-wordpiece/).first().waitFor({ timeout: 120_000 });
    await typeMaskBefore(workbench, TAIL);
    const rows = await workbench.suggestions();
    console.log(`      rows: ${rows.map((r) => `${r.label} ${r.details}`).join(' | ')}`);
    await screenshot('ui-joint-list');
    assert.strictEqual(rows[0].label, 'copy … license');
    assert.match(rows[0].details, /\d%.*together/);
    assert.ok(rows.some((r) => r.label === 'license' && !/together/.test(r.details)), 'the single words follow the pairs');
    await workbench.page.keyboard.press('Enter');
    assert.strictEqual(await workbench.lineText('You should have received', BOTH), BOTH);
  });

  it('two masks on a line: the ghost text is this mask\'s word of the best pair, and Tab fills both masks', async () => {
    const { workbench, page, writeFile } = await uiSession();
    await workbench.openFile(writeFile('joint-ghost.txt', `${SENTENCE}\n`));
    await workbench.statusBarItem(/bert-tiny-wordpiece/).first().waitFor({ timeout: 120_000 });
    await typeMaskBefore(workbench, TAIL);
    await workbench.suggestRows().first().waitFor({ timeout: 30_000 }).catch(() => undefined);
    await page.keyboard.press('Escape'); // ghost text waits while the suggest list is open
    const ghost = workbench.ghostText();
    if (!(await ghost.first().isVisible())) await page.keyboard.press('Alt+BracketRight');
    await ghost.first().waitFor({ timeout: 60_000 });
    const text = (await ghost.allTextContents()).join('');
    console.log(`      ghost text: ${JSON.stringify(text)}`);
    await screenshot('ui-joint-ghost');
    assert.ok(text.includes('license'), `ghost text ${JSON.stringify(text)} lacks "license"`);
    await page.keyboard.press('Tab');
    assert.strictEqual(await workbench.lineText('You should have received', BOTH), BOTH);
    await screenshot('ui-joint-ghost-accepted');
  });
});
