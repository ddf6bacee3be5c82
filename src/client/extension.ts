// Entry point of the VS Code extension: starts the service and registers providers, commands and the status bar.
import * as vscode from 'vscode';
import type { ModelStatus, TrainEvalEvent, TrainProgressEvent } from '../server/protocol';
import { selectModelFolder, showMenu, toggleInline, useDefaultModel } from './commands';
import { ACCEPT_INLINE, InlineProvider, acceptInline } from './inline';
import { showNotice } from './notices';
import { ProbabilityView } from './probabilityView';
import { ServiceClient } from './service';
import { documentSelector, serviceSettings } from './settings';
import { StatusBar } from './statusBar';
import { TrainingStore } from './training/history';
import { Trainer, type TrainOptionsArg } from './training/trainCommands';
import { TrainView } from './training/trainView';

/** What tests (and other extensions) can ask of Cloze. */
export interface ClozeApi {
  /** Resolves once the service has loaded (or failed to load) the configured model. */
  ready(): Promise<void>;
  status(): Promise<ModelStatus & { statusBarText: string; serverPid?: number }>;
  /** Training events as the service reports them (the training view and the progress notification use the same). */
  readonly training: { readonly onProgress: vscode.Event<TrainProgressEvent>; readonly onEval: vscode.Event<TrainEvalEvent> };
}

let service: ServiceClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<ClozeApi> {
  const log = vscode.window.createOutputChannel('Cloze', { log: true });
  const serverModule = vscode.Uri.joinPath(context.extensionUri, 'dist', 'server.js').fsPath;
  const store = new TrainingStore(context);
  const svc = new ServiceClient(serverModule, () => serviceSettings(context.extensionPath, store.trainedModel), log);
  service = svc;
  const statusBar = new StatusBar();
  const view = new ProbabilityView(context.extensionUri, svc);
  const trainView = new TrainView(context.extensionUri, () => store.history);
  const trainer = new Trainer(svc, store, trainView, log);
  context.subscriptions.push(log, svc, statusBar, view, trainView);
  svc.onStatus((s) => statusBar.show(s));
  svc.onNotice((n) => void showNotice(n, log));

  const inlineSelector = () => documentSelector();
  let inlineReg = vscode.languages.registerInlineCompletionItemProvider(inlineSelector(), new InlineProvider(svc));
  context.subscriptions.push({ dispose: () => inlineReg.dispose() });

  const reg = (id: string, fn: (...args: never[]) => unknown) => context.subscriptions.push(vscode.commands.registerCommand(id, fn));
  // An explicit choice of model also leaves the workspace-trained one (it stays on disk and in the history).
  const leaveTrained = async () => store.setTrainedModel(undefined);
  reg('cloze.selectModelFolder', () => selectModelFolder(log, leaveTrained));
  reg('cloze.useDefaultModel', async () => {
    const hadTrained = store.trainedModel !== undefined;
    await useDefaultModel(leaveTrained);
    if (hadTrained) await svc.configure();
  });
  reg('cloze.restartService', async () => {
    log.info('Restarting the language-model service.');
    await svc.restart();
  });
  reg('cloze.showLog', () => log.show());
  reg('cloze.toggleInline', () => toggleInline());
  reg('cloze.showMenu', () => showMenu(svc));
  reg('cloze.showProbabilities', (arg?: { uri: string; position: { line: number; character: number } }) => view.show(arg));
  reg('cloze.trainWorkspace', (arg?: TrainOptionsArg) => trainer.trainWorkspace(arg));
  reg('cloze.stopTraining', () => trainer.stop());
  reg('cloze.resumeTraining', () => trainer.resume());
  reg('cloze.revertModel', () => trainer.revert());
  reg('cloze.showTrainingView', () => trainView.show());
  reg(ACCEPT_INLINE, (uri: vscode.Uri, mask: vscode.Range, text: string, insert: string, joinLeft: boolean) => acceptInline(uri, mask, text, insert, joinLeft));

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (!e.affectsConfiguration('cloze')) return;
      if (e.affectsConfiguration('cloze.languages')) {
        log.info('Enabled languages changed; restarting the service with the new document selector.');
        inlineReg.dispose();
        inlineReg = vscode.languages.registerInlineCompletionItemProvider(inlineSelector(), new InlineProvider(svc));
        await svc.restart();
      } else if (['cloze.model', 'cloze.device', 'cloze.topK', 'cloze.contextTokens', 'cloze.maxFileSizeMB'].some((k) => e.affectsConfiguration(k))) {
        await svc.configure();
      }
    }),
  );

  const started = svc.start().catch((e: unknown) => {
    const msg = `Cloze could not start its language-model service: ${e instanceof Error ? e.message : String(e)}`;
    log.error(msg);
    void vscode.window.showErrorMessage(msg, 'Show Log').then((p) => p && log.show());
  });

  void started.then(() => svc.ready()).then(() => trainer.offerResume());

  return {
    training: { onProgress: svc.onTrainProgress, onEval: svc.onTrainEval },
    ready: async () => {
      await started;
      // Sending the current settings (a no-op for the service when nothing changed) closes the race with a settings
      // change whose event has not been handled yet.
      await svc.configure();
    },
    status: async () => {
      await started;
      const s = (await svc.ready()) ?? { state: 'loading' as const, pid: 0 };
      return { ...s, statusBarText: statusBar.text, serverPid: svc.pid };
    },
  };
}

export async function deactivate(): Promise<void> {
  await service?.stop();
}
