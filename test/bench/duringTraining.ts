// Fill latency through the real service (dist/server.js over LSP) idle and while its own Train on Workspace run trains,
// for each way of running the trainer (issue 12 #4: fills during training within 1.5× of their idle p50).
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createMessageConnection, IPCMessageReader, IPCMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import type { FillResult, ModelStatus, ServiceSettings, TrainProgressEvent, TrainStartParams, TrainSummary } from '../../src/protocol';
import { repoRoot } from '../paths';
import { summarize, type LatencyStats } from './fill';
import { machineInfo, ms, printTable, ratio, saveResults } from './report';

export interface DuringTrainingOptions {
  /** CLOZE_TRAIN_RUNNER values (src/server/training.ts); '' = what the service does by default. */
  readonly runners: readonly string[];
  /** Rounds; each runs every runner once, in rotating order, each in a fresh service. */
  readonly rounds: number;
  /** Timed fills per phase, one every `gapMs` after the previous answer (keystrokes). */
  readonly fills: number;
  readonly gapMs: number;
  readonly log?: (message: string) => void;
}

type Phase = 'idle' | 'training';

interface Block {
  readonly runner: string;
  readonly round: number;
  readonly times: Record<Phase, number[]>;
  readonly load: Record<Phase, { start: number; end: number }>;
  /** Model runs per fill, from the service's counter: every fill reached the model. */
  readonly runsPerFill: Record<Phase, number>;
  /** The training run's last progress event during the phase. */
  readonly progress?: TrainProgressEvent;
  /** Priority (nice) of the service and of every other process whose parent is the service, while training. */
  readonly nice: { service: number; children: number[] };
}

export interface RunnerResult {
  readonly runner: string;
  readonly stats: Record<Phase, LatencyStats>;
  /** Median over rounds of (training p50 / idle p50) in the same service. */
  readonly pairedP50: number;
  readonly ratios: number[];
  readonly tokensPerSec: number[];
}

export interface DuringTrainingResult {
  readonly model: string;
  readonly settings: Pick<ServiceSettings, 'topK' | 'maxPieces' | 'contextTokens' | 'precision'>;
  readonly corpus: string;
  readonly runners: RunnerResult[];
  readonly blocks: Block[];
}

const sleep = (t: number) => new Promise((r) => setTimeout(r, t));

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

/** The editor's defaults (package.json) for what shapes a fill. */
function editorDefaults(): Pick<ServiceSettings, 'topK' | 'maxPieces' | 'contextTokens' | 'precision'> {
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { contributes: { configuration: { properties: Record<string, { default?: unknown }> } | { properties: Record<string, { default?: unknown }> }[] } };
  const c = pkg.contributes.configuration;
  const props = Object.assign({}, ...(Array.isArray(c) ? c : [c]).map((x) => x.properties)) as Record<string, { default?: unknown }>;
  return {
    topK: props['cloze.topK'].default as number,
    maxPieces: props['cloze.maxPieces'].default as number,
    contextTokens: props['cloze.contextTokens'].default as number,
    precision: props['cloze.precision'].default as ServiceSettings['precision'],
  };
}

/** nice of every process whose parent is `pid` (Linux /proc; empty elsewhere). */
function childNice(pid: number): number[] {
  try {
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    return kids.map((k) => os.getPriority(k));
  } catch {
    return [];
  }
}

export async function benchDuringTraining(opts: DuringTrainingOptions): Promise<DuringTrainingResult> {
  const log = opts.log ?? (() => undefined);
  const model = path.join(repoRoot, 'models', 'default');
  const settings = editorDefaults();
  // This repository's own sources: text the bundled model never saw, as in the spinning bench.
  const corpusDir = path.join(repoRoot, 'src');
  const files = walk(corpusDir).filter((f) => f.endsWith('.ts'));
  const source = readFileSync(path.join(repoRoot, 'src', 'core', 'engine.ts'), 'utf8').slice(0, 6000);
  const words = [...source.matchAll(/[A-Za-z_][A-Za-z0-9_]{2,}/g)];
  const w = words[words.length >> 1];
  const text = source.slice(0, w.index) + '[MASK]' + source.slice((w.index ?? 0) + w[0].length);
  const before = text.slice(0, w.index);
  const position = { line: before.split('\n').length - 1, character: before.length - before.lastIndexOf('\n') - 1 };
  const uri = 'file:///during-training.ts';

  const block = async (runner: string, round: number): Promise<Block> => {
    const runDir = mkdtempSync(path.join(os.tmpdir(), 'cloze-during-train-'));
    const child: ChildProcess = fork(path.join(repoRoot, 'dist', 'server.js'), ['--node-ipc'], {
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      env: { ...process.env, CLOZE_TRAIN_RUNNER: runner },
    });
    const conn: MessageConnection = createMessageConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
    conn.listen();
    let progress: TrainProgressEvent | undefined;
    conn.onNotification('cloze/train/progress', (e: TrainProgressEvent) => {
      progress = e;
    });
    try {
      const init: ServiceSettings = { model: '', bundledModel: model, devices: ['cpu'], maxFileSizeMB: 5, ...settings };
      await conn.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {}, initializationOptions: init });
      await conn.sendNotification('initialized', {});
      const st = await conn.sendRequest<ModelStatus>('cloze/status');
      if (st.state !== 'ready') throw new Error(`service not ready: ${st.error ?? st.state}`);
      await conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'typescript', version: 1, text } });
      const modelRuns = async () => (await conn.sendRequest<ModelStatus>('cloze/status')).modelRuns ?? 0;
      const timed = async (n: number): Promise<{ times: number[]; runs: number }> => {
        const runs0 = await modelRuns();
        const times: number[] = [];
        for (let i = 0; i < n; i++) {
          const t0 = performance.now();
          const r = await conn.sendRequest<FillResult | null>('cloze/fill', { uri, position });
          times.push(performance.now() - t0);
          if (!r?.candidates.length) throw new Error('a fill came back empty');
          await sleep(opts.gapMs);
        }
        return { times, runs: ((await modelRuns()) - runs0) / n };
      };
      await timed(5);
      const l0 = os.loadavg()[0];
      const idle = await timed(opts.fills);
      const l1 = os.loadavg()[0];
      const start: TrainStartParams = { folders: [corpusDir], files, exclude: [], runDir, minutes: null, mode: 'continue', resume: false };
      let ended: unknown;
      const summary = conn.sendRequest<TrainSummary>('cloze/train/start', start);
      summary.then((v) => (ended = v), (e: unknown) => (ended = String(e)));
      const t0 = Date.now();
      while (!progress) {
        if (ended !== undefined) throw new Error(`training ended before a step: ${JSON.stringify(ended)}`);
        if (Date.now() - t0 > 600_000) throw new Error('the training run reported no step in 10 minutes');
        await sleep(200);
      }
      const nice = { service: os.getPriority(child.pid), children: childNice(child.pid ?? 0) };
      const l2 = os.loadavg()[0];
      const during = await timed(opts.fills);
      const l3 = os.loadavg()[0];
      const last = progress as TrainProgressEvent;
      await conn.sendRequest('cloze/train/stop');
      const s = await summary;
      log(`${runner || '(default)'} round ${round + 1}: idle p50 ${ms(median(idle.times))} ms, training p50 ${ms(median(during.times))} ms (${ratio(median(during.times) / median(idle.times))}); training ${s.stopped} at step ${s.step}, ${last.tokensPerSec.toFixed(0)} tokens/s; nice ${nice.service} / [${nice.children.join(', ')}]`);
      return {
        runner, round, times: { idle: idle.times, training: during.times },
        load: { idle: { start: l0, end: l1 }, training: { start: l2, end: l3 } },
        runsPerFill: { idle: idle.runs, training: during.runs }, progress: last, nice,
      };
    } finally {
      conn.dispose();
      child.kill();
      await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(undefined) : child.once('exit', r)));
      rmSync(runDir, { recursive: true, force: true });
    }
  };

  const blocks: Block[] = [];
  for (let r = 0; r < opts.rounds; r++) {
    const order = opts.runners.map((_, i) => opts.runners[(i + r) % opts.runners.length]);
    for (const runner of order) blocks.push(await block(runner, r));
  }
  const runners = opts.runners.map((runner): RunnerResult => {
    const mine = blocks.filter((b) => b.runner === runner);
    const ratios = mine.map((b) => median(b.times.training) / median(b.times.idle));
    return {
      runner,
      stats: { idle: summarize(mine.flatMap((b) => b.times.idle)), training: summarize(mine.flatMap((b) => b.times.training)) },
      pairedP50: median(ratios),
      ratios,
      tokensPerSec: mine.map((b) => b.progress?.tokensPerSec ?? 0),
    };
  });
  return { model: 'models/default', settings, corpus: `src/ (${files.length} .ts files)`, runners, blocks };
}

export function printDuringTraining(r: DuringTrainingResult): void {
  printTable(
    `Fills through the service (${r.model}, topK ${r.settings.topK}, maxPieces ${r.settings.maxPieces}, ${r.settings.contextTokens}-token window, precision ${r.settings.precision}) idle and during its Train on Workspace run on ${r.corpus}`,
    ['CLOZE_TRAIN_RUNNER', 'idle p50 / p95 ms', 'training p50 / p95 ms', 'p50 ÷ idle p50 (median of rounds)', 'per round', 'tokens/s'],
    r.runners.map((x) => [
      x.runner || '(default)',
      `${ms(x.stats.idle.p50)} / ${ms(x.stats.idle.p95)}`,
      `${ms(x.stats.training.p50)} / ${ms(x.stats.training.p95)}`,
      ratio(x.pairedP50),
      x.ratios.map((v) => v.toFixed(2)).join(' '),
      x.tokensPerSec.map((v) => v.toFixed(0)).join(' '),
    ]),
    ['left', 'right', 'right', 'right', 'left', 'left'],
  );
  for (const b of r.blocks) {
    console.log(`  ${b.runner || '(default)'} round ${b.round + 1}: load (1 min) idle ${b.load.idle.start.toFixed(1)} → ${b.load.idle.end.toFixed(1)}, training ${b.load.training.start.toFixed(1)} → ${b.load.training.end.toFixed(1)}; model runs per fill ${b.runsPerFill.idle.toFixed(1)} / ${b.runsPerFill.training.toFixed(1)}; nice service ${b.nice.service}, its children [${b.nice.children.join(', ')}]`);
  }
}

/**
 * `npm run bench -- --during-training [--runs N] [--fills N] [--runners "A;B"]`: runners are CLOZE_TRAIN_RUNNER values
 * separated by `;` (default: the service's own way, then the worker thread with ORT's default spinning it replaced).
 * Prints the table and saves .bench/results-….json like the rest of the bench.
 */
export async function mainDuringTraining(argv: readonly string[]): Promise<void> {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const count = (flag: string, d: number): number => {
    const v = value(flag);
    const n = v === undefined ? d : Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} takes a positive integer`);
    return n;
  };
  const started = new Date();
  const log = (m: string) => console.log(`[bench] ${m}`);
  const machine = machineInfo();
  log(`${machine.cpu}, ${machine.logicalCores} logical cores, Node ${machine.node}, onnxruntime-node ${machine.onnxruntimeNode}`);
  const loadAtStart = os.loadavg();
  const runners = (value('--runners') ?? ';isolation=thread spinning=1').split(';').map((s) => s.trim());
  const r = await benchDuringTraining({ runners, rounds: count('--runs', 3), fills: count('--fills', 60), gapMs: 50, log });
  printDuringTraining(r);
  const seconds = (Date.now() - started.getTime()) / 1000;
  const file = await saveResults({ started: started.toISOString(), machine, duringTraining: r, seconds, loadAverage: { start: loadAtStart, end: os.loadavg() } }, started);
  log(`load average ${loadAtStart.map((v) => v.toFixed(1)).join(' ')} at start, ${os.loadavg().map((v) => v.toFixed(1)).join(' ')} at end; saved ${path.relative(repoRoot, file)} (${seconds.toFixed(0)} s)`);
}
