// A user types [MASK] in the real workbench and sees suggestions, ghost text, the hover and the status bar.
import * as assert from 'assert';
import { referenceTop } from '../reference';
import { bertDir, screenshot, uiSession } from './session';
import { Workbench } from './workbench';
import { percentIn } from '../percent';

const SENTENCE = 'This program is free [MASK].';

/** Types the reference sentence on the first line of a new file, leaving the cursor right after `[MASK]`. */
async function typeSentence(workbench: Workbench): Promise<void> {
  await workbench.type('This program is free .');
  await workbench.page.keyboard.press('ArrowLeft');
  await workbench.type('[MASK]');
}

describe('Cloze in the browser: typing [MASK]', () => {
  const best = referenceTop(bertDir, SENTENCE);

  // One piece per mask: these compare the shown probability with PyTorch's, which whole words (cloze.maxPieces > 1,
  // percentages shared among the words listed) do not show; wholeWords.test.ts covers those.
  before(async () => { (await uiSession()).setUserSettings({ 'cloze.maxPieces': 1 }); });
  after(async () => { (await uiSession()).setUserSettings({}); });
  // Cleaning up before (not after) each test keeps a failed test's screen for its screenshot.
  beforeEach(async () => { await (await uiSession()).workbench.closeAllEditors(); });

  it('the status bar names the model', async () => {
    const { workbench, writeFile } = await uiSession();
    await workbench.openFile(writeFile('status.txt', `${SENTENCE}\n`));
    await workbench.statusBarItem(/bert-tiny-wordpiece/).first().waitFor({ timeout: 90_000 });
    await screenshot('ui-status-bar');
  });

  it('typing [MASK] opens suggestions with the best word first and its probability; Enter fills the mask', async () => {
    const { workbench, writeFile } = await uiSession();
    await workbench.openFile(writeFile('suggest.txt', ''));
    await typeSentence(workbench);
    const rows = await workbench.suggestions();
    console.log(`      rows: ${rows.map((r) => `${r.label} ${r.details}`).join(' | ')}`);
    await screenshot('ui-suggest');
    assert.strictEqual(rows[0].label, best.word);
    const shown = percentIn(rows[0].details);
    assert.ok(shown !== undefined, `no percentage beside "${rows[0].label}": ${rows[0].details}`);
    assert.ok(Math.abs(shown - best.percent) < 1.5, `shows ${shown}%, PyTorch says ${best.percent.toFixed(1)}%`);
    await workbench.page.keyboard.press('Enter');
    const filled = `This program is free ${best.word}.`;
    assert.strictEqual(await workbench.lineText('This program is free', filled), filled);
  });

  it('ghost text offers the best fill after [MASK] and Tab accepts it', async () => {
    const { workbench, page, writeFile } = await uiSession();
    await workbench.openFile(writeFile('ghost.md', ''));
    await typeSentence(workbench);
    await workbench.suggestRows().first().waitFor({ timeout: 30_000 }).catch(() => undefined);
    await page.keyboard.press('Escape'); // ghost text waits while the suggest list is open
    const ghost = workbench.ghostText();
    if (!(await ghost.first().isVisible())) await page.keyboard.press('Alt+BracketRight'); // "show next inline suggestion"
    await ghost.first().waitFor({ timeout: 60_000 });
    const text = (await ghost.allTextContents()).join('');
    console.log(`      ghost text: ${JSON.stringify(text)}`);
    await screenshot('ui-ghost-text');
    assert.ok(text.includes(best.word), `ghost text ${JSON.stringify(text)} lacks "${best.word}"`);
    await page.keyboard.press('Tab');
    const filled = `This program is free ${best.word}.`;
    assert.strictEqual(await workbench.lineText('This program is free', filled), filled);
  });

  it('hovering [MASK] shows the candidates with bars and entropy', async () => {
    const { workbench, writeFile } = await uiSession();
    await workbench.openFile(writeFile('hover.txt', `${SENTENCE}\n`));
    const hover = await workbench.hoverText('MASK', /entropy/i);
    await screenshot('ui-hover');
    const text = await hover.innerText();
    console.log(`      hover: ${JSON.stringify(text.slice(0, 200))}`);
    assert.ok(text.includes(best.word), `hover lacks "${best.word}"`);
    assert.match(text, /[█▏▎▍▌▋▊▉]/, 'no bars in the hover');
  });
});
