// Bursts of completion requests over the real LSP (the bundled service, forked as the editor forks it): time to drain, model runs, latency, RSS (issue 12 #5).
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createMessageConnection, IPCMessageReader, IPCMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import type { ModelStatus, ServiceSettings } from '../../src/protocol';
import { repoRoot } from '../paths';
import { percentile } from './fill';
import { ms, printTable, ratio } from './report';

export interface BurstBenchOptions {
  /** Rounds of every scenario, per setting; each round starts with the idle anchor. */
  readonly rounds: number;
  /** Completion requests fired at once (scenarios "burst" and "status"). */
  readonly requests: number;
  /** didChange + completion pairs of the typing burst. */
  readonly typing: number;
  /** Sequential completions of the idle anchor, after 2 warm-ups. */
  readonly idleFills: number;
  /** cloze.maxPieces values to run the service with (the editor's default is 2; 1 = one piece per mask). */
  readonly maxPieces: readonly number[];
  readonly log?: (message: string) => void;
}

type Scenario = 'burst' | 'typing' | 'status';
const SCENARIOS: readonly Scenario[] = ['burst', 'typing', 'status'];

/** One scenario in one round. */
export interface BurstRound {
  /** First send → last response. */
  readonly drainMs: number;
  /** The service's modelRuns delta over the scenario. */
  readonly modelRuns: number;
  readonly requests: number;
  /** Replies that carried candidates (superseded requests are answered with null). */
  readonly answered: number;
  /** The newest request (the one the editor shows) got candidates. */
  readonly newestAnswered: boolean;
  /** Send → response of every completion request. */
  readonly latenciesMs: readonly number[];
  /** Scenario "status": send → response of the status request sent after half the burst. */
  readonly statusMs?: number;
  /** VmRSS of the service before and after, in MiB; undefined where /proc is not there. */
  readonly rssBeforeMiB?: number;
  readonly rssAfterMiB?: number;
}

export interface BurstSummary {
  readonly drainMs: { readonly median: number; readonly min: number; readonly max: number };
  /** Median drain ÷ the same setting's idle completion p50. */
  readonly drainOverIdleP50: number;
  readonly modelRuns: readonly number[];
  readonly p50: number;
  readonly p99: number;
  readonly answered: readonly number[];
  readonly newestAnswered: boolean;
  readonly statusMs?: readonly number[];
}

export interface BurstSettingResult {
  readonly maxPieces: number;
  /** Sequential completions at rest on the same document (the anchor). */
  readonly idle: { readonly fills: number; readonly p50: number; readonly p99: number; readonly modelRunsPerFill: number };
  /** A status request at rest (median of 5 per round). */
  readonly idleStatusMs: number;
  readonly rounds: Record<Scenario, readonly BurstRound[]>;
  readonly summary: Record<Scenario, BurstSummary>;
  /** VmRSS when the service was ready (before any fill) and at the end; VmHWM (peak) at the end. MiB. */
  readonly rss: { readonly loaded?: number; readonly end?: number; readonly peak?: number };
}

export interface BurstResult {
  readonly model: string;
  readonly document: string;
  readonly documentChars: number;
  readonly settings: Omit<ServiceSettings, 'maxPieces'>;
  readonly rssSource: string;
  readonly results: readonly BurstSettingResult[];
  readonly load: { readonly start: number[]; readonly end: number[] };
}

const MODEL = path.join(repoRoot, 'models', 'default');
const DOCUMENT = path.join('src', 'core', 'engine.ts');
const URI = 'file:///bench/burst.ts';

/** A field of /proc/<pid>/status in MiB, or undefined off Linux (or once the process is gone). */
function procMiB(pid: number | undefined, field: 'VmRSS' | 'VmHWM'): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** This repository's engine source (never in the bundled model's corpus) with its middle word masked. */
function maskedDocument(): { text: string; line: number; character: number } {
  const source = readFileSync(path.join(repoRoot, DOCUMENT), 'utf8').slice(0, 6000);
  const words = [...source.matchAll(/[A-Za-z_][A-Za-z0-9_]{2,}/g)];
  const w = words[words.length >> 1];
  const at = w.index ?? 0;
  const text = source.slice(0, at) + '[MASK]' + source.slice(at + w[0].length);
  const before = text.slice(0, at + '[MASK]'.length).split('\n');
  // The completion position is right after the mask, where the editor asks once `]` is typed.
  return { text, line: before.length - 1, character: before[before.length - 1].length };
}

const median = (xs: readonly number[]): number => percentile([...xs].sort((a, b) => a - b), 0.5);

/** One service process, spoken to over node IPC with vscode-jsonrpc, as the extension's LanguageClient does. */
class Service {
  private constructor(readonly child: ChildProcess, readonly conn: MessageConnection) {}

  static async start(settings: ServiceSettings): Promise<Service> {
    const child = fork(path.join(repoRoot, 'dist', 'server.js'), ['--node-ipc'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const conn = createMessageConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
    conn.listen();
    const s = new Service(child, conn);
    await conn.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {}, initializationOptions: settings });
    await conn.sendNotification('initialized', {});
    const st = await s.status();
    if (st.state !== 'ready') {
      s.stop();
      throw new Error(`the service did not load ${MODEL}: ${st.error ?? st.state}`);
    }
    return s;
  }

  status(): Promise<ModelStatus> {
    return this.conn.sendRequest<ModelStatus>('cloze/status');
  }

  async runs(): Promise<number> {
    return (await this.status()).modelRuns ?? 0;
  }

  rss(field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number | undefined {
    return procMiB(this.child.pid, field);
  }

  stop(): void {
    this.conn.dispose();
    this.child.kill();
  }
}

interface Reply { items: unknown[] }

/** Sends a completion request now; resolves with its latency and whether it carried candidates. */
function complete(conn: MessageConnection, line: number, character: number): Promise<{ ms: number; answered: boolean }> {
  const t0 = performance.now();
  return conn.sendRequest<Reply | null>('textDocument/completion', { textDocument: { uri: URI }, position: { line, character } })
    .then((r) => ({ ms: performance.now() - t0, answered: !!r && r.items.length > 0 }));
}

/** Runs every scenario `rounds` times on one service with the given maxPieces. */
async function benchSetting(maxPieces: number, base: Omit<ServiceSettings, 'maxPieces'>, opts: BurstBenchOptions, log: (m: string) => void): Promise<BurstSettingResult> {
  const svc = await Service.start({ ...base, maxPieces });
  try {
    const doc = maskedDocument();
    let version = 1;
    // Typing appends to the document's last line, after the mask, so the mask keeps its position.
    const lastLine = doc.text.split('\n').length - 1;
    let lastChar = doc.text.length - doc.text.lastIndexOf('\n') - 1;
    void svc.conn.sendNotification('textDocument/didOpen', { textDocument: { uri: URI, languageId: 'typescript', version, text: doc.text } });
    const loaded = svc.rss();
    const idle: number[] = [];
    const idleStatus: number[] = [];
    let idleRuns = 0;
    const rounds: Record<Scenario, BurstRound[]> = { burst: [], typing: [], status: [] };

    for (let r = 0; r < opts.rounds; r++) {
      // The anchor: one completion at a time at rest, on the document as it is now.
      for (let i = 0; i < 2; i++) await complete(svc.conn, doc.line, doc.character);
      const runs0 = await svc.runs();
      for (let i = 0; i < opts.idleFills; i++) {
        const c = await complete(svc.conn, doc.line, doc.character);
        if (!c.answered) throw new Error('an idle completion at the mask got no candidates');
        idle.push(c.ms);
      }
      idleRuns += (await svc.runs()) - runs0;
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        await svc.status();
        idleStatus.push(performance.now() - t0);
      }

      for (const scenario of SCENARIOS) {
        const rssBeforeMiB = svc.rss();
        const runsBefore = await svc.runs();
        const t0 = performance.now();
        const pending: Promise<{ ms: number; answered: boolean }>[] = [];
        let status: Promise<number> | undefined;
        if (scenario === 'typing') {
          for (let i = 0; i < opts.typing; i++) {
            const ch = TYPED[(version - 1) % TYPED.length];
            version++;
            const at = { line: lastLine, character: lastChar };
            void svc.conn.sendNotification('textDocument/didChange', { textDocument: { uri: URI, version }, contentChanges: [{ range: { start: at, end: at }, text: ch }] });
            lastChar++;
            pending.push(complete(svc.conn, doc.line, doc.character));
          }
        } else {
          for (let i = 0; i < opts.requests; i++) {
            if (scenario === 'status' && i === opts.requests >> 1) {
              const s0 = performance.now();
              status = svc.status().then(() => performance.now() - s0);
            }
            pending.push(complete(svc.conn, doc.line, doc.character));
          }
        }
        const replies = await Promise.all(pending);
        const drainMs = performance.now() - t0;
        const statusMs = status ? await status : undefined;
        const modelRuns = (await svc.runs()) - runsBefore;
        const round: BurstRound = {
          drainMs, modelRuns, requests: replies.length,
          answered: replies.filter((x) => x.answered).length,
          newestAnswered: replies[replies.length - 1]?.answered ?? false,
          latenciesMs: replies.map((x) => Math.round(x.ms * 100) / 100),
          ...(statusMs !== undefined ? { statusMs } : {}),
          rssBeforeMiB, rssAfterMiB: svc.rss(),
        };
        rounds[scenario].push(round);
        log(`maxPieces ${maxPieces}, round ${r + 1}/${opts.rounds}, ${scenario}: ${replies.length} requests drained in ${ms(drainMs)} ms, ${modelRuns} model run(s), ${round.answered} with candidates${statusMs !== undefined ? `, status answered in ${ms(statusMs)} ms` : ''}`);
        // Let the service settle (a late status notification, GC) before the next scenario.
        await new Promise((res) => setTimeout(res, 200));
      }
    }

    const sortedIdle = [...idle].sort((a, b) => a - b);
    const idleP50 = percentile(sortedIdle, 0.5);
    const summary = {} as Record<Scenario, BurstSummary>;
    for (const s of SCENARIOS) {
      const rs = rounds[s];
      const lat = rs.flatMap((x) => x.latenciesMs).sort((a, b) => a - b);
      const drains = rs.map((x) => x.drainMs);
      summary[s] = {
        drainMs: { median: median(drains), min: Math.min(...drains), max: Math.max(...drains) },
        drainOverIdleP50: median(drains) / idleP50,
        modelRuns: rs.map((x) => x.modelRuns),
        p50: percentile(lat, 0.5),
        p99: percentile(lat, 0.99),
        answered: rs.map((x) => x.answered),
        newestAnswered: rs.every((x) => x.newestAnswered),
        ...(s === 'status' ? { statusMs: rs.map((x) => x.statusMs ?? Number.NaN) } : {}),
      };
    }
    return {
      maxPieces,
      idle: { fills: idle.length, p50: idleP50, p99: percentile(sortedIdle, 0.99), modelRunsPerFill: idleRuns / idle.length },
      idleStatusMs: median(idleStatus),
      rounds,
      summary,
      rss: { loaded, end: svc.rss(), peak: svc.rss('VmHWM') },
    };
  } finally {
    svc.stop();
  }
}

/** What the typing burst types, a character per didChange. */
const TYPED = ' // the newest request wins, older ones never reach the model';

export async function benchBurst(opts: BurstBenchOptions): Promise<BurstResult> {
  const log = opts.log ?? (() => undefined);
  const start = os.loadavg();
  const base: Omit<ServiceSettings, 'maxPieces'> = { model: '', bundledModel: MODEL, devices: ['cpu'], topK: 8, contextTokens: 256, maxFileSizeMB: 5 };
  const results: BurstSettingResult[] = [];
  for (const maxPieces of opts.maxPieces) results.push(await benchSetting(maxPieces, base, opts, log));
  const rssSource = process.platform === 'linux' ? '/proc/<pid>/status VmRSS (VmHWM for the peak)' : `unavailable on ${process.platform} (no /proc)`;
  return { model: 'models/default', document: `${DOCUMENT} (first 6,000 characters, middle word masked)`, documentChars: maskedDocument().text.length, settings: base, rssSource, results, load: { start, end: os.loadavg() } };
}

const mib = (v: number | undefined): string => (v === undefined ? 'n/a' : v.toFixed(0));

export function printBurst(r: BurstResult): void {
  const rows: string[][] = [];
  for (const s of r.results) {
    // The anchor row: completions one at a time at rest; its p50 is what the drain column is divided by.
    rows.push([`maxPieces ${s.maxPieces}`, `idle, ${s.idle.fills / Math.max(1, s.rounds.burst.length)} one at a time`, String(s.rounds.burst.length), '', '', s.idle.modelRunsPerFill.toFixed(1) + ' per fill', ms(s.idle.p50), ms(s.idle.p99), '', `${mib(s.rss.loaded)} (loaded)`]);
    for (const sc of SCENARIOS) {
      const m = s.summary[sc];
      const rs = s.rounds[sc];
      const what = sc === 'burst' ? `${rs[0]?.requests ?? 0} at once` : sc === 'typing' ? `${rs[0]?.requests ?? 0} didChange+completion` : `${rs[0]?.requests ?? 0} + status mid-burst`;
      rows.push(['', what, String(rs.length), `${ms(m.drainMs.median)} (${ms(m.drainMs.min)}–${ms(m.drainMs.max)})`, ratio(m.drainOverIdleP50), m.modelRuns.join(', '), ms(m.p50), ms(m.p99), m.answered.join(', ') + (m.newestAnswered ? '' : ' (newest unanswered!)'), `${mib(rs[0]?.rssBeforeMiB)} → ${mib(rs[rs.length - 1]?.rssAfterMiB)}`]);
    }
  }
  printTable(
    `Completion bursts over LSP, ${r.model} in dist/server.js, ${r.settings.contextTokens}-token window, topK ${r.settings.topK}`,
    ['setting', 'scenario', 'rounds', 'drain ms median (min–max)', 'drain / idle p50', 'model runs per round', 'p50 ms', 'p99 ms', 'with candidates', 'RSS MiB'],
    rows,
    ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
  );
  for (const s of r.results) {
    const st = s.summary.status.statusMs ?? [];
    console.log(`  maxPieces ${s.maxPieces}: status request mid-burst ${st.map(ms).join(', ')} ms (at rest ${ms(s.idleStatusMs)} ms); service peak RSS ${mib(s.rss.peak)} MiB, ${mib(s.rss.end)} MiB at the end`);
  }
  console.log(`  RSS: ${r.rssSource}; load average (1 min) ${r.load.start[0].toFixed(1)} → ${r.load.end[0].toFixed(1)}`);
}
