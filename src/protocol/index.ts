// The custom messages between the extension and the language-model service, beside standard LSP: the wire contract,
// in plain types of its own. It imports only the LSP protocol package; the service maps engine and trainer values
// into these types (the compiler checks they still fit where it sends them), and the extension and the training
// webview import nothing else of the service's.
import { NotificationType, RequestType, RequestType0 } from 'vscode-languageserver-protocol';

/** An ONNX Runtime execution provider, as cloze.device names it (core/session.ts tries them in order). */
export type Device = 'cuda' | 'webgpu' | 'dml' | 'coreml' | 'cpu';

/** cloze.precision: which graph of the model runs (core/precision.ts). */
export type Precision = 'auto' | 'fp32' | 'int8';

/** The editor's proxy settings, for Hub downloads. */
export interface ProxySettings {
  /** http.proxy: used for http and https URLs; wins over HTTPS_PROXY / HTTP_PROXY. */
  readonly proxy?: string;
  /** http.proxyStrictSSL (default true): false accepts self-signed certificates (of a TLS-inspecting proxy). */
  readonly strictSSL?: boolean;
  /** http.noProxy: hosts reached directly, added to NO_PROXY. */
  readonly noProxy?: readonly string[];
  /** http.proxyAuthorization: the Proxy-Authorization header value. */
  readonly proxyAuthorization?: string;
}

/** Which weights of a Hub repository a download fetches. */
export type WeightChoice = 'auto' | 'safetensors' | 'onnx' | 'quantized';

export interface DownloadProgress {
  readonly file: string;
  /** Bytes of this file on disk so far (resumed bytes included), and its size. */
  readonly fileBytes: number;
  readonly fileTotal: number;
  /** All files of this download: bytes on disk so far and in all. */
  readonly bytes: number;
  readonly total: number;
  /** Bytes per second received in this run. */
  readonly bytesPerSecond: number;
}

/** Settings the client sends at start and on every change. */
export interface ServiceSettings {
  /** Model folder; empty means the bundled default. */
  readonly model: string;
  /** The model "Train on Workspace" produced for this workspace; it wins over `model` until reverted. */
  readonly trainedModel?: string;
  readonly bundledModel: string;
  readonly devices: Device[];
  /** cloze.precision (src/core/precision.ts); absent = fp32. */
  readonly precision?: Precision;
  readonly topK: number;
  /** cloze.maxPieces: a mask may stand for a whole word of up to this many pieces (1 = one piece); absent = 1. */
  readonly maxPieces?: number;
  readonly contextTokens: number;
  readonly maxFileSizeMB: number;
  /** The editor's proxy settings (http.proxy, …), for Hub downloads. */
  readonly proxy?: ProxySettings;
}

export interface ModelStatus {
  readonly state: 'loading' | 'ready' | 'error';
  readonly model?: string;
  readonly modelDir?: string;
  readonly device?: string;
  /** The model's own mask token (`[MASK]` is always accepted too). */
  readonly maskToken?: string;
  /** Providers that were tried first and failed, with their reasons. */
  readonly fallbacks?: { device: string; error: string }[];
  readonly lastLatencyMs?: number;
  /** Runs of the current model since it loaded. */
  readonly modelRuns?: number;
  readonly error?: string;
  readonly errorCode?: string;
  readonly pid: number;
}

export interface FillParams {
  readonly uri: string;
  readonly position: { line: number; character: number };
  readonly topK?: number;
  /** Also the joint fills of nearby masks (the probability view and ghost text show them). */
  readonly joint?: boolean;
  /** Asked for by the ghost text: its own newest-request slot, not the probability view's. */
  readonly ghost?: boolean;
}

/** A candidate as the engine ranks it (Candidate in src/core/engine.ts). */
export interface WireCandidate {
  readonly id: number;
  /** The vocabulary piece (`##ing`, `Ġsoftware`). */
  readonly token: string;
  /** The text to show and insert. */
  readonly text: string;
  /** The piece continues the word before the mask (no space between). */
  readonly attach: boolean;
  /** Exactly what replaces the mask. */
  readonly insert: string;
  /** The edit also removes the whitespace right before the mask: the piece glues onto the previous word. */
  readonly joinLeft: boolean;
  /** Probability of the piece; for whole-word fills, the candidate's share of the candidates returned. */
  readonly score: number;
  /** Whole-word fills: the vocabulary ids the word is made of. */
  readonly pieces?: readonly number[];
}

export interface FillResult {
  /** The mask's range in the document. */
  readonly range: { start: { line: number; character: number }; end: { line: number; character: number } };
  readonly candidates: WireCandidate[];
  readonly entropy: number;
  readonly latencyMs: number;
  readonly model: string;
  /** When other masks share the window: the best consistent fills of this mask and its neighbours, in document order. */
  readonly joint?: { readonly texts: string[]; readonly inserts: string[]; readonly score: number }[];
  /** The masks `joint` fills, in document order (this one among them). */
  readonly jointRanges?: { start: { line: number; character: number }; end: { line: number; character: number } }[];
  /** Candidates are whole words (cloze.maxPieces > 1): scores are shares of the candidates listed. */
  readonly wholeWords?: boolean;
}

export interface Notice {
  readonly severity: 'info' | 'warning' | 'error';
  readonly message: string;
  readonly detail?: string;
  /** Offer the model-related actions with the message. */
  readonly modelActions?: boolean;
}

export const ConfigureRequest = new RequestType<ServiceSettings, ModelStatus, void>('cloze/configure');
export const StatusRequest = new RequestType0<ModelStatus, void>('cloze/status');
export const FillRequest = new RequestType<FillParams, FillResult | null, void>('cloze/fill');
export const StatusNotification = new NotificationType<ModelStatus>('cloze/statusChanged');
export const NoticeNotification = new NotificationType<Notice>('cloze/notice');

// ---- Training ("Cloze: Train on Workspace")

export interface TrainFilesParams {
  /** Workspace folders (absolute paths): .gitignore rules and `exclude` apply below them. */
  readonly folders: string[];
  /** The files the editor's search found (files.exclude / search.exclude already applied); only these are used. */
  readonly files: string[];
  /** Extra gitignore-style patterns (cloze.train.exclude). */
  readonly exclude: string[];
}

export interface TrainPreview {
  readonly trainFiles: number;
  readonly heldOutFiles: number;
  /** Tokens with the current model's tokenizer. */
  readonly tokens: number;
  readonly skipped: { reason: string; count: number }[];
  readonly model: string;
}

export interface TrainStartParams extends TrainFilesParams {
  /** Where checkpoints, logs and the exported model live (the extension's workspace storage). */
  readonly runDir: string;
  /** Time budget; null trains until stopped. */
  readonly minutes: number | null;
  /** A fixed number of optimizer steps instead of fitting the run to the time budget (tests, scripted runs). */
  readonly steps?: number;
  /** Continue the active model, or learn a new tokenizer and model from the workspace alone. */
  readonly mode: 'continue' | 'fresh';
  readonly resume: boolean;
  /** cloze.train.masking: which tokens become training targets (absent = uniform; a resume keeps its run's). */
  readonly masking?: 'uniform' | 'surprisal';
}

export interface TrainScore {
  readonly top1: number;
  readonly top5: number;
  readonly perplexity: number;
  readonly loss: number;
  readonly maskedTokens: number;
}

export interface TrainProgressEvent {
  readonly step: number;
  readonly totalSteps: number;
  /** Mean training loss of the last session call. */
  readonly loss: number;
  readonly lr: number;
  readonly tokensPerSec: number;
  readonly etaSec: number;
}

export interface TrainEvalEvent extends TrainScore {
  readonly step: number;
  readonly phase: 'before' | 'during' | 'after';
}

export interface TrainSummary {
  readonly stopped: 'done' | 'time' | 'step' | 'cancelled';
  readonly step: number;
  readonly totalSteps: number;
  readonly before?: TrainScore;
  readonly after?: TrainScore;
  /** The exported model (absent when cancelled). */
  readonly modelDir?: string;
  readonly trainFiles: number;
  readonly heldOutFiles: number;
  readonly minutes: number;
}

/** A finished run as the workspace remembers it (the training view's history table). */
export interface TrainHistoryEntry {
  readonly date: string;
  readonly mode: 'continue' | 'fresh';
  readonly minutes: number;
  readonly steps: number;
  readonly files: number;
  readonly before?: TrainScore;
  readonly after?: TrainScore;
  readonly modelDir?: string;
}

/** What the extension posts to the training view's page script (src/webview/trainView.ts). */
export type TrainViewMessage =
  | { readonly type: 'reset'; readonly preview?: TrainPreview; readonly title: string }
  | { readonly type: 'progress'; readonly e: TrainProgressEvent }
  | { readonly type: 'eval'; readonly e: TrainEvalEvent }
  | { readonly type: 'summary'; readonly s: TrainSummary }
  | { readonly type: 'history'; readonly entries: TrainHistoryEntry[] }
  | { readonly type: 'state'; readonly text: string };

export const TrainPreviewRequest = new RequestType<TrainFilesParams, TrainPreview, void>('cloze/train/preview');
export const TrainStartRequest = new RequestType<TrainStartParams, TrainSummary, void>('cloze/train/start');
export const TrainStopRequest = new RequestType0<boolean, void>('cloze/train/stop');
export const TrainProgressNotification = new NotificationType<TrainProgressEvent>('cloze/train/progress');
export const TrainEvalNotification = new NotificationType<TrainEvalEvent>('cloze/train/eval');
export const TrainLogNotification = new NotificationType<string>('cloze/train/log');

/** Where the editor keeps a workspace's training runs; what a run folder holds is the service's business. */
export interface TrainRunsParams {
  readonly runsDir: string;
}

/** A run that was stopped or cut off with a checkpoint: what "Resume Training" continues. */
export interface UnfinishedRun {
  readonly runDir: string;
  /** The step it stopped at, when the run got to record it. */
  readonly step?: number;
  readonly mode: 'continue' | 'fresh';
}

export const TrainUnfinishedRequest = new RequestType<TrainRunsParams, UnfinishedRun | null, void>('cloze/train/unfinished');
/** Keeps a run's files but never offers it again. */
export const TrainDiscardRequest = new RequestType<{ readonly runDir: string }, void, void>('cloze/train/discard');

/** The surprisal lens: how unexpected each token of a range is to the model (each token masked in turn). */
export interface SurprisalParams {
  readonly uri: string;
  readonly range: { start: { line: number; character: number }; end: { line: number; character: number } };
}

export interface SurprisalToken {
  readonly range: { start: { line: number; character: number }; end: { line: number; character: number } };
  readonly bits: number;
  /** 1-based rank of the real token among the model's candidates. */
  readonly rank: number;
  readonly top: readonly { readonly text: string; readonly score: number }[];
}

export interface SurprisalResult {
  readonly tokens: readonly SurprisalToken[];
  readonly model: string;
  readonly ms: number;
}

export const SurprisalRequest = new RequestType<SurprisalParams, SurprisalResult | null, void>('cloze/surprisal');

// ---- Hub downloads (src/server/download.ts): Cloze: Download Model…, and cloze.model naming an uncached Hub id

export interface DownloadParams {
  /** Names this download in its events. */
  readonly id: string;
  readonly repoId: string;
  readonly revision?: string;
  readonly weights?: WeightChoice;
  /** The editor's proxy settings now (they may have changed since the last configure). */
  readonly proxy?: ProxySettings;
}

export interface DownloadReply {
  readonly repoId: string;
  readonly sha: string;
  /** The snapshot folder in the Hugging Face cache. */
  readonly dir: string;
  readonly files: readonly string[];
  readonly downloadedBytes: number;
  readonly fromCache: boolean;
}

/** A download's life: `start`, `progress` (bytes, speed), `end` (with the error when it failed or was cancelled). */
export interface DownloadEvent {
  readonly id: string;
  readonly repoId: string;
  readonly kind: 'start' | 'progress' | 'end';
  /** `request`: asked for by DownloadRequest; `setting`: the service fetches the model the settings name. */
  readonly origin: 'request' | 'setting';
  readonly progress?: DownloadProgress;
  readonly error?: string;
  readonly cancelled?: boolean;
}

export const DownloadRequest = new RequestType<DownloadParams, DownloadReply, void>('cloze/download');
export const DownloadEventNotification = new NotificationType<DownloadEvent>('cloze/download/event');
/** Client → service: stop a download the service started by itself (origin `setting`); requests use $/cancelRequest. */
export const DownloadCancelNotification = new NotificationType<{ readonly id: string }>('cloze/download/cancel');
