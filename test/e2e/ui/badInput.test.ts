// Bad models and hostile files in the real workbench: a clear notification and log entry, and the editor keeps working.
import * as assert from 'assert';
import { binaryBytes, hundredMasks, megabyteLine, minifiedJs } from '../badDocuments';
import { garbageOnnxModel, missingModelDir, noMaskTokenModel, wrongInputsModel } from '../badModels';
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
