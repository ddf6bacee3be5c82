// The custom messages between the extension and the language-model service, beside standard LSP.
import { NotificationType, RequestType, RequestType0 } from 'vscode-languageserver-protocol';
import type { Device } from '../core/session';

/** Settings the client sends at start and on every change. */
export interface ServiceSettings {
  /** Model folder; empty means the bundled default. */
  readonly model: string;
  readonly bundledModel: string;
  readonly devices: Device[];
  readonly topK: number;
  readonly contextTokens: number;
  readonly maxFileSizeMB: number;
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
  readonly error?: string;
  readonly errorCode?: string;
  readonly pid: number;
}

export interface FillParams {
  readonly uri: string;
  readonly position: { line: number; character: number };
  readonly topK?: number;
}

export interface WireCandidate {
  readonly id: number;
  readonly token: string;
  readonly text: string;
  readonly attach: boolean;
  readonly insert: string;
  readonly joinLeft: boolean;
  readonly score: number;
}

export interface FillResult {
  /** The mask's range in the document. */
  readonly range: { start: { line: number; character: number }; end: { line: number; character: number } };
  readonly candidates: WireCandidate[];
  readonly entropy: number;
  readonly latencyMs: number;
  readonly model: string;
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
