// Starts the language-model service when it is first needed, keeps it alive with back-off restarts, and relays its
// status and notices.
import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  State,
  TransportKind,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
// The wire's messages by their protocol names (wire.FillRequest, …); the shapes they carry as plain types.
import * as wire from '../protocol';
import {
  type DownloadEvent,
  type DownloadParams,
  type DownloadReply,
  type FillParams,
  type FillResult,
  type ModelStatus,
  type Notice,
  type ServiceSettings,
  type SurprisalParams,
  type SurprisalResult,
  type TrainEvalEvent,
  type TrainFilesParams,
  type TrainPreview,
  type TrainProgressEvent,
  type TrainStartParams,
  type TrainSummary,
  type UnfinishedRun,
} from '../protocol';
import { documentSelector } from './settings';

/** Restart delays after consecutive crashes; a healthy minute resets the count. */
const BACKOFF_MS = [500, 2000, 5000, 15000, 30000];
const HEALTHY_AFTER_MS = 60000;

export class ServiceClient implements vscode.Disposable {
  private client: LanguageClient | undefined;
  /** The first start (or the latest restart) in flight or done; undefined until something needs the service. */
  private starting: Promise<void> | undefined;
  private readonly startedEmitter = new vscode.EventEmitter<void>();
  /** Fires each time a start finished (the first one, and after Restart Service). */
  readonly onStarted = this.startedEmitter.event;
  private crashes = 0;
  private startedAt = 0;
  private stopping = false;
  private readyWaiters: (() => void)[] = [];
  private readonly statusEmitter = new vscode.EventEmitter<ModelStatus>();
  private readonly noticeEmitter = new vscode.EventEmitter<Notice>();
  readonly onStatus = this.statusEmitter.event;
  readonly onNotice = this.noticeEmitter.event;
  private readonly trainProgressEmitter = new vscode.EventEmitter<TrainProgressEvent>();
  private readonly trainEvalEmitter = new vscode.EventEmitter<TrainEvalEvent>();
  readonly onTrainProgress = this.trainProgressEmitter.event;
  readonly onTrainEval = this.trainEvalEmitter.event;
  private readonly downloadEmitter = new vscode.EventEmitter<DownloadEvent>();
  /** Hub downloads running in the service (src/client/download.ts shows them). */
  readonly onDownload = this.downloadEmitter.event;
  status: ModelStatus | undefined;

  constructor(
    private readonly serverModule: string,
    private readonly settings: () => ServiceSettings,
    private readonly log: vscode.LogOutputChannel,
    private readonly middleware: LanguageClientOptions['middleware'] = {},
  ) {}

  /** Whether the service process has been asked to start in this window. */
  get started(): boolean {
    return this.starting !== undefined;
  }

  /** Starts the service once; later calls wait for that start. A failed start is reported and may be retried. */
  ensureStarted(): Promise<void> {
    this.starting ??= this.start().then(
      () => this.startedEmitter.fire(),
      (e: unknown) => {
        this.starting = undefined;
        const msg = `Cloze could not start its language-model service: ${e instanceof Error ? e.message : String(e)}`;
        this.log.error(msg);
        void vscode.window.showErrorMessage(msg, 'Show Log').then((p) => p && this.log.show());
        throw e;
      },
    );
    return this.starting;
  }

  private async start(): Promise<void> {
    this.stopping = false;
    const serverOptions: ServerOptions = {
      run: { module: this.serverModule, transport: TransportKind.ipc },
      debug: { module: this.serverModule, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6019'] } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: documentSelector(),
      outputChannel: this.log,
      initializationOptions: () => this.settings(),
      markdown: { isTrusted: { enabledCommands: ['cloze.showProbabilities'] } },
      middleware: this.middleware,
      connectionOptions: { maxRestartCount: 0 },
      errorHandler: {
        error: () => ({ action: ErrorAction.Continue }),
        closed: () => this.onClosed(),
      },
    };
    const client = new LanguageClient('cloze', 'Cloze language-model service', serverOptions, clientOptions);
    this.client = client;
    client.onNotification(wire.StatusNotification, (s) => this.setStatus(s));
    client.onNotification(wire.NoticeNotification, (n) => this.noticeEmitter.fire(n));
    client.onNotification(wire.TrainProgressNotification, (e) => this.trainProgressEmitter.fire(e));
    client.onNotification(wire.TrainEvalNotification, (e) => this.trainEvalEmitter.fire(e));
    client.onNotification(wire.TrainLogNotification, (m) => this.log.info(`[train] ${m}`));
    client.onNotification(wire.DownloadEventNotification, (e) => this.downloadEmitter.fire(e));
    this.startedAt = Date.now();
    await client.start();
    this.watchProcess(client);
    this.setStatus(await client.sendRequest(wire.StatusRequest));
  }

  private watchProcess(client: LanguageClient): void {
    const child = client.serverProcess;
    child?.on('exit', (code, signal) => {
      if (this.stopping || client !== this.client) return;
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      this.log.error(`The language-model service (pid ${child.pid}) ${how}.`);
    });
  }

  private async onClosed(): Promise<{ action: CloseAction; message?: string; handled?: boolean }> {
    if (this.stopping) return { action: CloseAction.DoNotRestart, handled: true };
    if (Date.now() - this.startedAt > HEALTHY_AFTER_MS) this.crashes = 0;
    const delay = BACKOFF_MS[Math.min(this.crashes, BACKOFF_MS.length - 1)];
    this.crashes++;
    const message = `Cloze's language-model service stopped unexpectedly; restarting in ${(delay / 1000).toFixed(1)} s (attempt ${this.crashes}). Completions resume when it is back.`;
    this.log.warn(message);
    this.setStatus({ state: 'loading', model: this.status?.model, pid: 0, error: 'service restarting' });
    this.noticeEmitter.fire({ severity: 'warning', message });
    await new Promise((r) => setTimeout(r, delay));
    this.startedAt = Date.now();
    setTimeout(() => void this.refreshStatus(), 200);
    return { action: this.stopping ? CloseAction.DoNotRestart : CloseAction.Restart, handled: true };
  }

  private async refreshStatus(): Promise<void> {
    const c = this.client;
    if (!c) return;
    for (let i = 0; i < 50 && c.state !== State.Running; i++) await new Promise((r) => setTimeout(r, 200));
    if (c.state !== State.Running) return;
    this.watchProcess(c);
    try {
      this.setStatus(await c.sendRequest(wire.StatusRequest));
    } catch (e) {
      this.log.debug(`status after restart: ${e}`);
    }
  }

  private setStatus(s: ModelStatus): void {
    this.status = s;
    this.statusEmitter.fire(s);
    if (s.state !== 'loading') {
      const waiters = this.readyWaiters;
      this.readyWaiters = [];
      waiters.forEach((w) => w());
    }
  }

  /** Starts the service if needed; resolves when it has finished loading a model (successfully or not). */
  async ready(): Promise<ModelStatus | undefined> {
    try {
      await this.ensureStarted();
    } catch {
      return this.status;
    }
    if (this.status && this.status.state !== 'loading') return this.status;
    return new Promise((resolve) => this.readyWaiters.push(() => resolve(this.status)));
  }

  /** Sends the current settings; a service not started yet reads them when it starts. */
  async configure(): Promise<ModelStatus | undefined> {
    if (!this.client || this.client.state !== State.Running) return this.status;
    this.setStatus({ ...(this.status ?? { pid: 0 }), state: 'loading' });
    try {
      const s = await this.client.sendRequest(wire.ConfigureRequest, this.settings());
      this.setStatus(s);
      return s;
    } catch (e) {
      // The service died while loading; its restart reads the current settings (initializationOptions) anyway.
      this.log.debug(`configure: ${e}`);
      return this.status;
    }
  }

  async fill(params: FillParams, token?: vscode.CancellationToken): Promise<FillResult | null> {
    await this.ensureStarted().catch(() => undefined);
    if (!this.client || this.client.state !== State.Running) return null;
    try {
      return await this.client.sendRequest(wire.FillRequest, params, token);
    } catch (e) {
      if (token?.isCancellationRequested) return null;
      this.log.debug(`fill request failed: ${e}`);
      return null;
    }
  }

  async surprisal(params: SurprisalParams, token?: vscode.CancellationToken): Promise<SurprisalResult | null> {
    await this.ensureStarted();
    if (!this.client || this.client.state !== State.Running) return null;
    return this.client.sendRequest(wire.SurprisalRequest, params, token);
  }

  private running(): LanguageClient {
    if (!this.client || this.client.state !== State.Running) throw new Error('The Cloze language-model service is not running; try "Cloze: Restart Service".');
    return this.client;
  }

  async trainPreview(p: TrainFilesParams): Promise<TrainPreview> {
    await this.ensureStarted();
    return this.running().sendRequest(wire.TrainPreviewRequest, p);
  }

  /** Resolves when the run ends (done, out of time, or stopped); progress arrives through onTrainProgress/onTrainEval. */
  async trainStart(p: TrainStartParams): Promise<TrainSummary> {
    await this.ensureStarted();
    return this.running().sendRequest(wire.TrainStartRequest, p);
  }

  /** Downloads a Hub model in the service; progress arrives through onDownload, cancelling the token stops it. */
  async download(p: DownloadParams, token?: vscode.CancellationToken): Promise<DownloadReply> {
    await this.ensureStarted();
    return this.running().sendRequest(wire.DownloadRequest, p, token);
  }

  /** Stops a download the service started for the settings (a cloze.model Hub id not in the cache). */
  cancelDownload(id: string): void {
    if (this.client?.state === State.Running) void this.client.sendNotification(wire.DownloadCancelNotification, { id });
  }

  /** The newest run under `runsDir` that can be resumed; the service knows what a run folder holds. */
  async trainUnfinished(runsDir: string): Promise<UnfinishedRun | undefined> {
    await this.ensureStarted();
    return (await this.running().sendRequest(wire.TrainUnfinishedRequest, { runsDir })) ?? undefined;
  }

  async trainDiscard(runDir: string): Promise<void> {
    await this.ensureStarted();
    await this.running().sendRequest(wire.TrainDiscardRequest, { runDir });
  }

  async trainStop(): Promise<boolean> {
    return this.client?.state === State.Running ? this.client.sendRequest(wire.TrainStopRequest) : false;
  }

  get pid(): number | undefined {
    return this.client?.serverProcess?.pid;
  }

  async restart(): Promise<void> {
    await this.stop();
    this.crashes = 0;
    this.status = undefined;
    this.starting = undefined;
    await this.ensureStarted();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const c = this.client;
    this.client = undefined;
    if (c && c.state !== State.Stopped) {
      try {
        await c.stop(4000);
      } catch (e) {
        this.log.debug(`stop: ${e}`);
      }
    }
  }

  dispose(): void {
    void this.stop();
    this.statusEmitter.dispose();
    this.startedEmitter.dispose();
    this.noticeEmitter.dispose();
    this.trainProgressEmitter.dispose();
    this.trainEvalEmitter.dispose();
    this.downloadEmitter.dispose();
  }
}
