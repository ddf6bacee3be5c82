// Bad models and hostile files in the real workbench: a clear notification and log entry, and the editor keeps working.
import * as assert from 'assert';
import { binaryBytes, hundredMasks, megabyteLine, minifiedJs } from '../badDocuments';
import { garbageOnnxModel, hostileTextModel, missingModelDir, noMaskTokenModel, wrongInputsModel } from '../badModels';
import { referenceTop } from '../reference';
import { bertDir, screenshot, uiSession } from './session';

const SENTENCE = 'This program is free [MASK].';

/** Polls the on-disk "Cloze" log (written asynchronously) for `pattern`. */
async function logMatching(pattern: RegExp): Promise<string> {
  const { clozeLog, page } = await uiSession();
  for (let i = 0; i < 100 && !pattern.test(clozeLog()); i++) await page.waitForTimeout(100);
  return clozeLog();
}

/** The good model fills a freshly typed mask again: the service and the editor survived. */
async function assertStillFills(fileName: string): Promise<void> {
  const { workbench, writeFile } = await uiSession();
  await workbench.openFile(writeFile(fileName, ''));
  await workbench.statusBarItem(/bert-tiny-wordpiece ·/).first().waitFor({ timeout: 60_000 });
  await workbench.type('This program is free .');
  await workbench.page.keyboard.press('ArrowLeft');
  await workbench.type('[MASK]');
  const rows = await workbench.suggestions();
  assert.strictEqual(rows[0]?.label, referenceTop(bertDir, SENTENCE).word, 'the good model does not fill masks afterwards');
}

describe('Cloze in the browser: bad input', () => {
  beforeEach(async () => {
    const { workbench, setUserSettings } = await uiSession();
    setUserSettings({});
    await workbench.closeAllEditors();
    await workbench.clearNotifications();
  });
  after(async () => { (await uiSession()).setUserSettings({}); });

  const badModels: [string, () => string, RegExp][] = [
    ['missing-folder', missingModelDir, /not found/i],
    ['garbage-onnx', () => garbageOnnxModel(bertDir), /could not load|damaged|corrupt|invalid/i],
    ['no-mask-token', () => noMaskTokenModel(bertDir), /mask token/i],
    ['wrong-inputs', () => wrongInputsModel(bertDir), /input/i],
  ];
  for (const [label, make, says] of badModels) {
    it(`model ${label}: a notification and the Cloze log say what is wrong; the good model works again`, async () => {
      const { workbench, setUserSettings } = await uiSession();
      setUserSettings({ 'cloze.model': make() });
      const note = await workbench.notification(says);
      const text = await note.innerText();
      console.log(`      notification: ${JSON.stringify(text.slice(0, 240))}`);
      await screenshot(`ui-bad-model-${label}`);
      assert.match(text, /Cloze/);
      assert.match(await logMatching(says), says, 'the Cloze log does not mention it');
      setUserSettings({});
      await workbench.dismiss();
      await assertStillFills(`after-${label}.txt`);
    });
  }

  it('a model whose name and vocabulary hold markdown: the hover shows it as text — no link, image or HTML', async () => {
    const { workbench, setUserSettings, writeFile } = await uiSession();
    const { dir } = hostileTextModel(bertDir, referenceTop(bertDir, SENTENCE).word);
    setUserSettings({ 'cloze.model': dir });
    try {
      await workbench.openFile(writeFile('hostile.txt', `${SENTENCE}\n`));
      await workbench.statusBarItem(/· CPU/).first().waitFor({ timeout: 60_000 });
      const hover = await workbench.hoverText('[MASK]', /most likely (fills|whole words)/);
      await screenshot('ui-hostile-hover');
      const text = await hover.innerText();
      console.log(`      hover: ${JSON.stringify(text.slice(0, 300))}`);
      assert.ok(text.includes('![beacon](https://example.invalid/p.png)'), 'the hostile piece is not shown as written');
      assert.ok(text.includes('[run](command:cloze.showProbabilities'), 'the hostile name is not shown as written');
      assert.equal(await hover.locator('img').count(), 0, 'an image was rendered');
      const hostileLinks = 'a[href*="example.invalid"], a[data-href*="example.invalid"], a[href*="%5B%5D"], a[data-href*="%5B%5D"]';
      assert.equal(await hover.locator(hostileLinks).count(), 0, 'a hostile link was rendered');
      assert.equal(await hover.locator('b', { hasText: 'x' }).count(), 0, 'raw HTML was rendered');
    } finally {
      await workbench.dismiss();
      setUserSettings({});
    }
    await workbench.closeAllEditors();
    await assertStillFills('after-hostile.txt');
  });

  const badFiles: [string, string | Buffer, RegExp, boolean][] = [
    ['blob.bin', binaryBytes(), /binary/i, true],
    ['bundle.min.js', minifiedJs(), /minified/i, false],
    ['huge-line.txt', megabyteLine().text, /minified|long|large|huge/i, false],
    ['many-masks.txt', hundredMasks(), /masks/i, false],
  ];
  for (const [name, content, says, binary] of badFiles) {
    it(`file ${name}: a notification and the Cloze log explain it; the editor keeps working`, async () => {
      const { workbench, writeFile, page } = await uiSession();
      await workbench.openFile(writeFile(name, content), !binary);
      if (binary) await workbench.openBinaryAsText();
      await workbench.cursorAfter('[MASK]');
      await page.keyboard.press('Control+Space');
      if (!binary) {
        const rows = await workbench.suggestions();
        console.log(`      suggestions: ${rows.slice(0, 3).map((r) => `${r.label} ${r.details}`).join(' | ')}`);
        assert.ok(rows.some((r) => /%/.test(r.details)), 'no Cloze suggestion at the mask');
      }
      const note = await workbench.notification(says);
      const text = await note.innerText();
      console.log(`      notification: ${JSON.stringify(text.slice(0, 240))}`);
      await screenshot(`ui-bad-file-${name}`);
      assert.match(await logMatching(says), says, 'the Cloze log does not mention it');
      await workbench.dismiss();
      await workbench.closeAllEditors();
      await assertStillFills(`after-${name}.txt`);
    });
  }
});
