// The custom messages between the extension and the language-model service, beside standard LSP.
import { NotificationType, RequestType, RequestType0 } from 'vscode-languageserver-protocol';
import type { Candidate } from '../core/engine';
import type { DownloadProgress, WeightChoice } from '../core/hub/download';
import type { ProxySettings } from '../core/hub/network';
import type { Precision } from '../core/precision';
import type { Device } from '../core/session';
import type { TrainProgress } from '../train/trainer';

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

/** A candidate as the engine ranks it (see Candidate in src/core/engine.ts). */
export type WireCandidate = Candidate;

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
  readonly bytes: number;
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
}

export interface TrainScore {
  readonly top1: number;
  readonly top5: number;
  readonly perplexity: number;
  readonly loss: number;
  readonly maskedTokens: number;
}

export type TrainProgressEvent = TrainProgress;

export interface TrainEvalEvent extends TrainScore {
  readonly step: number;
  readonly phase: 'before' | 'during' | 'after';
}

export interface TrainSummary {
  readonly stopped: 'done' | 'time' | 'cancelled';
  readonly step: number;
  readonly totalSteps: number;
  readonly before?: TrainScore;
  readonly after?: TrainScore;
  /** The exported model (absent when cancelled). */
  readonly modelDir?: string;
  readonly trainFiles: number;
  readonly heldOutFiles: number;
  readonly trainTokens: number;
  readonly minutes: number;
}

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
