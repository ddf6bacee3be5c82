// The extension's commands exist and work in a real extension host: restart, log, inline toggle.
import * as assert from 'assert';
import * as vscode from 'vscode';
import { bertDir, closeAllEditors, completionsAt, labelOf, openDocument, positionAfter, useModel } from './clozeExtension';
import { referenceCase } from '../reference';

const SENTENCE = 'This program is free [MASK].';
const COMMANDS = ['cloze.selectModelFolder', 'cloze.restartService', 'cloze.showLog', 'cloze.showMenu', 'cloze.toggleInline',
  'cloze.useDefaultModel'];

describe('Cloze commands', () => {
  before(async () => { await useModel(bertDir); });
  afterEach(closeAllEditors);

  it('registers every contributed command', async () => {
    const all = new Set(await vscode.commands.getCommands(true));
    const missing = COMMANDS.filter((c) => !all.has(c));
    assert.deepStrictEqual(missing, []);
  });

  it('cloze.showLog opens the log without error', async () => {
    await vscode.commands.executeCommand('cloze.showLog');
  });

  it('cloze.toggleInline flips cloze.inline.enabled and back', async () => {
    const read = () => vscode.workspace.getConfiguration('cloze').get<boolean>('inline.enabled');
    const before = read();
    await vscode.commands.executeCommand('cloze.toggleInline');
    assert.strictEqual(read(), !before);
    await vscode.commands.executeCommand('cloze.toggleInline');
    assert.strictEqual(read(), before);
  });

  it('cloze.restartService brings the service back with the same model', async () => {
    const api = await useModel(bertDir);
    await vscode.commands.executeCommand('cloze.restartService');
    await api.ready();
    assert.match((await api.status()).model, /bert-tiny-wordpiece/);
    const { document: doc } = await openDocument(SENTENCE);
    const items = await completionsAt(doc, positionAfter(doc, '[MASK]'), ']');
    assert.ok(items.some((i) => labelOf(i) === referenceCase(bertDir, SENTENCE).masks[0].top_tokens[0]), 'no fill after restart');
  });
});
