// Shows what the service reports (bad models, skipped files, crashes) as notifications with the actions that fix them.
import * as vscode from 'vscode';
import type { Notice } from '../protocol';

export async function showNotice(n: Notice, log: vscode.LogOutputChannel): Promise<void> {
  const text = `Cloze: ${n.message}`;
  if (n.severity === 'error') log.error(n.message + (n.detail ? `\n${n.detail}` : ''));
  else if (n.severity === 'warning') log.warn(n.message);
  else log.info(n.message);
  const actions = n.modelActions ? ['Select Model Folder…', 'Use Bundled Model', 'Show Log'] : ['Show Log'];
  const show = n.severity === 'error' ? vscode.window.showErrorMessage : n.severity === 'warning' ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
  const pick = await show(text, ...actions);
  if (pick === 'Show Log') log.show(true);
  else if (pick === 'Select Model Folder…') await vscode.commands.executeCommand('cloze.selectModelFolder');
  else if (pick === 'Use Bundled Model') await vscode.commands.executeCommand('cloze.useDefaultModel');
}
