// Entry point of the VS Code extension: registers providers, commands and the status bar; the service starts lazily.
import * as vscode from 'vscode';
import type { ModelStatus, TrainEvalEvent, TrainProgressEvent } from '../protocol';
import { maskWordOrSelection, selectModelFolder, showMenu, toggleInline, toggleLanguage, useDefaultModel } from './commands';
import { downloadModelCommand, watchServiceDownloads, type DownloadArg } from './download';
import { ACCEPT_INLINE, InlineProvider, acceptInline, type OtherFill } from './inline';
import { LazyStart } from './lazyStart';
import { SurprisalLens } from './surprisalLens';
import { showNotice } from './notices';
import { ProbabilityView } from './probabilityView';
import { ServiceClient } from './service';
import { documentSelector, isEnabledFor, serviceSettings } from './settings';
import { StatusBar } from './statusBar';
import { TrainingStore } from './training/history';
import { Trainer, type TrainOptionsArg } from './training/trainCommands';
import { TrainView } from './training/trainView';

/** What tests (and other extensions) can ask of Cloze. */
export interface ClozeApi {
  /** Starts the service if needed; resolves once it has loaded (or failed to load) the configured model. */
  ready(): Promise<void>;
  /** Whether the service has been started in this window (it starts at the first mask or Cloze command). */
  serviceStarted(): boolean;
  /** How long activate() took, in ms (what Cloze adds to a window's start-up). */
  readonly activationMs: number;
  status(): Promise<ModelStatus & { statusBarText: string; serverPid?: number }>;
  /** Training events as the service reports them (the training view and the progress notification use the same). */
  readonly training: { readonly onProgress: vscode.Event<TrainProgressEvent>; readonly onEval: vscode.Event<TrainEvalEvent> };
  /** Each recomputation of the surprisal lens: the document, how many tokens were scored, how long it took. */
  readonly onSurprisal: vscode.Event<{ uri: string; tokens: number; ms: number }>;
}

let service: ServiceClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<ClozeApi> {
  const activatedAt = performance.now();
  const log = vscode.window.createOutputChannel('Cloze', { log: true });
  const serverModule = vscode.Uri.joinPath(context.extensionUri, 'dist', 'server.js').fsPath;
  const store = new TrainingStore(context);
  // Completions and hovers come from the service over LSP; a language switched off by the user gets none.
  const skipDisabled = <R>(doc: vscode.TextDocument, next: () => R): R | undefined => (isEnabledFor(doc) ? next() : undefined);
  const svc = new ServiceClient(serverModule, () => serviceSettings(context.extensionPath, store.trainedModel), log, {
    provideCompletionItem: (doc, pos, ctx, token, next) => skipDisabled(doc, () => next(doc, pos, ctx, token)),
    provideHover: (doc, pos, token, next) => skipDisabled(doc, () => next(doc, pos, token)),
  });
  service = svc;
  const statusBar = new StatusBar(() => svc.started);
  const view = new ProbabilityView(context.extensionUri, svc);
  const trainView = new TrainView(context.extensionUri, () => store.history);
  const trainer = new Trainer(svc, store, trainView, log);
  context.subscriptions.push(log, svc, statusBar, view, trainView, new LazyStart(svc, context.globalState, log));
  svc.onStatus((s) => statusBar.show(s));
  svc.onNotice((n) => void showNotice(n, log));

  const inlineSelector = () => documentSelector();
  let inlineReg = vscode.languages.registerInlineCompletionItemProvider(inlineSelector(), new InlineProvider(svc));
  context.subscriptions.push({ dispose: () => inlineReg.dispose() });

  const reg = (id: string, fn: (...args: never[]) => unknown) => context.subscriptions.push(vscode.commands.registerCommand(id, fn));
  // An explicit choice of model also leaves the workspace-trained one (it stays on disk and in the history).
  const leaveTrained = async () => store.setTrainedModel(undefined);
  reg('cloze.selectModelFolder', () => selectModelFolder(log, leaveTrained));
  reg('cloze.downloadModel', (arg?: DownloadArg) => downloadModelCommand(svc, log, leaveTrained, arg));
  context.subscriptions.push(watchServiceDownloads(svc, log));
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
  reg('cloze.showMenu', () => showMenu(svc, { training: trainer.running, trusted: vscode.workspace.isTrusted }));
  reg('cloze.toggleLanguage', () => toggleLanguage());
  const lens = new SurprisalLens(svc, log);
  context.subscriptions.push(lens);
  reg('cloze.toggleSurprisal', () => lens.toggle());
  reg('cloze.maskWordOrSelection', () => maskWordOrSelection(svc));
  reg('cloze.showProbabilities', async (arg?: { uri: string; position: { line: number; character: number } }) => {
    await svc.ready();
    await view.show(arg);
  });
  reg('cloze.trainWorkspace', (arg?: TrainOptionsArg) => trainer.trainWorkspace(arg));
  reg('cloze.stopTraining', () => trainer.stop());
  reg('cloze.resumeTraining', () => trainer.resume());
  reg('cloze.revertModel', () => trainer.revert());
  reg('cloze.showTrainingView', () => trainView.show());
  reg(ACCEPT_INLINE, (uri: vscode.Uri, mask: vscode.Range, text: string, insert: string, joinLeft: boolean, others?: OtherFill[]) => acceptInline(uri, mask, text, insert, joinLeft, others));

  context.subscriptions.push(
    // Trusting the workspace brings its own settings (and its trained model) into effect.
    vscode.workspace.onDidGrantWorkspaceTrust(() => void svc.configure()),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      // The proxy settings travel with the service's settings: a Hub download the service starts itself uses them.
      if (!e.affectsConfiguration('cloze')) {
        if (svc.started && e.affectsConfiguration('http')) await svc.configure();
        return;
      }
      if (e.affectsConfiguration('cloze.languages')) {
        log.info('Enabled languages changed; restarting the service with the new document selector.');
        inlineReg.dispose();
        inlineReg = vscode.languages.registerInlineCompletionItemProvider(inlineSelector(), new InlineProvider(svc));
        if (svc.started) await svc.restart();
      } else if (['cloze.model', 'cloze.device', 'cloze.topK', 'cloze.maxPieces', 'cloze.contextTokens', 'cloze.maxFileSizeMB'].some((k) => e.affectsConfiguration(k))) {
        await svc.configure();
      }
    }),
  );

  // An interrupted run is found from its files; the service starts only if the user resumes it.
  void trainer.offerResume();
  const activationMs = performance.now() - activatedAt;
  log.info(`Cloze activated in ${activationMs.toFixed(1)} ms; the language-model service starts at the first mask.`);

  return {
    training: { onProgress: svc.onTrainProgress, onEval: svc.onTrainEval },
    serviceStarted: () => svc.started,
    activationMs,
    onSurprisal: lens.onDidUpdate,
    ready: async () => {
      await svc.ready();
      // Sending the current settings (a no-op for the service when nothing changed) closes the race with a settings
      // change whose event has not been handled yet.
      await svc.configure();
    },
    status: async () => {
      const s = (await svc.ready()) ?? { state: 'loading' as const, pid: 0 };
      return { ...s, statusBarText: statusBar.text, serverPid: svc.pid };
    },
  };
}

export async function deactivate(): Promise<void> {
  await service?.stop();
}
