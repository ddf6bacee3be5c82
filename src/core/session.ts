// Opens an ONNX Runtime session on the first execution provider that works, recording why the others did not.
import * as ort from 'onnxruntime-node';
import { ClozeError, errorText } from './errors';

export type Device = 'cuda' | 'webgpu' | 'dml' | 'coreml' | 'cpu';
export const DEVICES: readonly Device[] = ['cuda', 'webgpu', 'dml', 'coreml', 'cpu'];
export const DEFAULT_DEVICES: readonly Device[] = ['cuda', 'dml', 'coreml', 'cpu'];

export interface DeviceAttempt {
  readonly device: Device;
  readonly error: string;
}

export interface OpenedSession {
  readonly session: ort.InferenceSession;
  readonly device: Device;
  /** Providers tried before `device`, with the reason each failed. */
  readonly fallbacks: readonly DeviceAttempt[];
}

export interface SessionOptions {
  readonly devices?: readonly Device[];
  readonly threads?: number;
  readonly log?: (message: string) => void;
  /**
   * Let idle intra-op threads spin-wait for the next run (ORT's default). Off by default: between keystrokes the
   * service should not burn CPU, and spinning threads of one session slow every other one on a busy machine
   * (docs/benchmarks.md, *Thread spinning*).
   */
  readonly spinning?: boolean;
}

function firstLine(s: string): string {
  const line = s.split('\n').find((l) => l.trim()) ?? s;
  return line.length > 300 ? line.slice(0, 300) + '…' : line;
}

export async function openSession(model: string | Uint8Array, opts: SessionOptions = {}): Promise<OpenedSession> {
  const prefs = opts.devices && opts.devices.length ? [...opts.devices] : [...DEFAULT_DEVICES];
  // CPU is the floor everywhere: a preference list without it still ends there.
  if (!prefs.includes('cpu')) prefs.push('cpu');
  const fallbacks: DeviceAttempt[] = [];
  for (const device of prefs) {
    const options: ort.InferenceSession.SessionOptions = {
      executionProviders: [device],
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
      ...(opts.threads ? { intraOpNumThreads: opts.threads, interOpNumThreads: 1 } : {}),
      extra: { session: { intra_op: { allow_spinning: opts.spinning ? '1' : '0' } } },
    };
    try {
      const session = typeof model === 'string' ? await ort.InferenceSession.create(model, options) : await ort.InferenceSession.create(model, options);
      if (fallbacks.length) opts.log?.(`Using ${device.toUpperCase()} after: ${fallbacks.map((f) => `${f.device} (${f.error})`).join('; ')}`);
      return { session, device, fallbacks };
    } catch (e) {
      const reason = firstLine(errorText(e));
      fallbacks.push({ device, error: reason });
      opts.log?.(`Execution provider ${device} unavailable: ${reason}`);
      if (device === 'cpu') {
        throw new ClozeError('model-corrupt', `ONNX Runtime could not load the model: ${reason}. The model.onnx file may be damaged or truncated; re-export or re-download it.`, errorText(e));
      }
    }
  }
  throw new ClozeError('model-corrupt', 'No execution provider could load the model.');
}
