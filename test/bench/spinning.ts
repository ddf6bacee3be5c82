// Fill latency with ORT's intra-op thread spinning on and off, idle and while a `cloze train` run shares the machine (issue 12 #4).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Engine, type LoadOptions } from '../../src/core/engine';
import type { SessionOptions } from '../../src/core/session';
import { repoRoot } from '../paths';
import { summarize, type LatencyStats } from './fill';
import { ms, printTable, ratio } from './report';

export interface SpinningBenchOptions {
  /** Blocks per configuration and phase; each block loads a fresh engine and times `fills` fills. */
  readonly rounds: number;
  readonly fills: number;
  /** Pause between fills, as between keystrokes: spinning threads burn CPU in it. */
  readonly gapMs: number;
  readonly threads: number;
  /** Intra-op threads of the training run, one training phase each (the service's worker uses all cores today). */
  readonly trainThreads: readonly number[];
  readonly log?: (message: string) => void;
}

/** `idle`, or `training N` with the training run on N threads. */
type Phase = string;
type Config = 'spin on' | 'spin off';
const CONFIGS: readonly Config[] = ['spin on', 'spin off'];

export interface SpinningResult {
  readonly model: string;
  readonly windowTokens: number;
  readonly phases: readonly Phase[];
  readonly stats: Record<Phase, Record<Config, LatencyStats>>;
  /** Median over blocks of (spin on p50 / spin off p50) of adjacent blocks: above 1 = spinning off is faster. */
  readonly pairedOnOverOff: Record<Phase, number>;
  /** The last progress line of each training run. */
  readonly trainingSteps: Record<Phase, string>;
  /** CPU time this process used in the 500 ms after a fill (median of 5), per configuration, measured idle: what spinning burns. */
  readonly cpuAfterFillMs: Record<Config, number>;
  readonly load: Record<Phase, { start: number[]; end: number[] }>;
}

const sleep = (t: number) => new Promise((r) => setTimeout(r, t));

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** A document of this repository (never in the bundled model's corpus) with its middle word masked. */
function maskedDocument(): { text: string; offset: number } {
  const text = readFileSync(path.join(repoRoot, 'src', 'core', 'engine.ts'), 'utf8').slice(0, 6000);
  const words = [...text.matchAll(/[A-Za-z_][A-Za-z0-9_]{2,}/g)];
  const w = words[words.length >> 1];
  const offset = w.index ?? 0;
  return { text: text.slice(0, offset) + '<mask>' + text.slice(offset + w[0].length), offset };
}

/**
 * Starts `cloze train --from models/default` on this repository's src/ (the bundled CLI, a child process at the same
 * priority as this one: in the editor the run is a worker thread of the service, an OS thread like any other) and
 * resolves once it reports optimizer steps.
 */
async function startTraining(threads: number, log: (m: string) => void): Promise<{ child: ChildProcess; out: string[]; dir: string }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cloze-spin-train-'));
  const cli = path.join(repoRoot, 'dist', 'cli.js');
  const args = [cli, 'train', path.join(repoRoot, 'src'), '--from', path.join(repoRoot, 'models', 'default'), '--out', dir, '--steps', '100000', '--threads', String(threads), '--eval-every', '100000'];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  const onData = (b: Buffer) => out.push(...b.toString().split(/\r?\n/).filter(Boolean));
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const t0 = Date.now();
  while (!out.some((l) => /\bstep\s+\d+\/\d+/.test(l))) {
    if (child.exitCode !== null) throw new Error(`cloze train exited (${child.exitCode}): ${out.slice(-5).join(' / ')}`);
    if (Date.now() - t0 > 600_000) throw new Error(`cloze train reported no step in 10 minutes: ${out.slice(-5).join(' / ')}`);
    await sleep(500);
  }
  log(`training is stepping (pid ${child.pid}): ${out[out.length - 1]}`);
  return { child, out, dir };
}

export async function benchSpinning(opts: SpinningBenchOptions): Promise<SpinningResult> {
  const log = opts.log ?? (() => undefined);
  const model = path.join(repoRoot, 'models', 'default');
  const doc = maskedDocument();
  const windowTokens = 256;

  /** One block: a fresh engine with this spinning setting, 3 warm-up fills, then `fills` timed fills with gaps. */
  const block = async (config: Config): Promise<number[]> => {
    // Engine.load hands its options to openSession (src/core/session.ts), which reads `spinning`.
    const options: LoadOptions & SessionOptions = { devices: ['cpu'], threads: opts.threads, spinning: config === 'spin on' };
    const engine = await Engine.load(model, options);
    try {
      const times: number[] = [];
      for (let i = 0; i < 3 + opts.fills; i++) {
        const t0 = process.hrtime.bigint();
        await engine.fillAt(doc.text, doc.offset, { contextTokens: windowTokens });
        if (i >= 3) times.push(Number(process.hrtime.bigint() - t0) / 1e6);
        await sleep(opts.gapMs);
      }
      return times;
    } finally {
      await engine.dispose();
    }
  };

  const phase = async (name: Phase): Promise<{ stats: Record<Config, LatencyStats>; paired: number; load: { start: number[]; end: number[] } }> => {
    const start = os.loadavg();
    const samples: Record<Config, number[]> = { 'spin on': [], 'spin off': [] };
    const ratios: number[] = [];
    for (let r = 0; r < opts.rounds; r++) {
      const order = r % 2 === 0 ? CONFIGS : [...CONFIGS].reverse();
      const p50: Partial<Record<Config, number>> = {};
      for (const c of order) {
        const t = await block(c);
        samples[c].push(...t);
        p50[c] = median(t);
      }
      ratios.push((p50['spin on'] as number) / (p50['spin off'] as number));
      log(`${name} round ${r + 1}/${opts.rounds}: p50 spin on ${ms(p50['spin on'] as number)} ms, off ${ms(p50['spin off'] as number)} ms`);
    }
    return { stats: { 'spin on': summarize(samples['spin on']), 'spin off': summarize(samples['spin off']) }, paired: median(ratios), load: { start, end: os.loadavg() } };
  };

  const phases: Phase[] = ['idle'];
  const stats: Record<Phase, Record<Config, LatencyStats>> = {};
  const paired: Record<Phase, number> = {};
  const load: Record<Phase, { start: number[]; end: number[] }> = {};
  const trainingSteps: Record<Phase, string> = {};
  const record = (name: Phase, r: Awaited<ReturnType<typeof phase>>) => {
    stats[name] = r.stats;
    paired[name] = r.paired;
    load[name] = r.load;
  };
  record('idle', await phase('idle'));
  const cpuAfterFillMs = { 'spin on': 0, 'spin off': 0 };
  for (const c of CONFIGS) {
    const options: LoadOptions & SessionOptions = { devices: ['cpu'], threads: opts.threads, spinning: c === 'spin on' };
    const engine = await Engine.load(model, options);
    try {
      const used: number[] = [];
      for (let i = 0; i < 6; i++) {
        await engine.fillAt(doc.text, doc.offset, { contextTokens: windowTokens });
        const before = process.cpuUsage();
        await sleep(500);
        const d = process.cpuUsage(before);
        if (i > 0) used.push((d.user + d.system) / 1000);
      }
      cpuAfterFillMs[c] = median(used);
    } finally {
      await engine.dispose();
    }
  }
  for (const threads of opts.trainThreads) {
    const name = `training ${threads}`;
    phases.push(name);
    const training = await startTraining(threads, log);
    try {
      record(name, await phase(name));
    } finally {
      training.child.kill('SIGTERM');
      await new Promise((r) => (training.child.exitCode !== null ? r(undefined) : training.child.once('exit', r)));
      rmSync(training.dir, { recursive: true, force: true });
    }
    const steps = training.out.filter((l) => /\bstep\s+\d+\/\d+/.test(l));
    trainingSteps[name] = steps[steps.length - 1] ?? '';
  }
  return { model: 'models/default', windowTokens, phases, stats, pairedOnOverOff: paired, trainingSteps, cpuAfterFillMs, load };
}

export function printSpinning(r: SpinningResult): void {
  const rows: string[][] = [];
  for (const p of r.phases) {
    for (const c of CONFIGS) {
      const s = r.stats[p][c];
      rows.push([p === 'idle' ? 'idle' : `${p} threads`, c, String(s.runs), ms(s.p50), ms(s.p95), ratio(s.p50 / r.stats.idle[c].p50), ratio(s.p95 / r.stats.idle[c].p50), ratio(r.pairedOnOverOff[p])]);
    }
  }
  printTable(
    `Fill latency, ${r.model}, ${r.windowTokens}-token window: ORT intra-op spinning on/off, idle and during cloze train`,
    ['phase', 'fill sessions', 'fills', 'p50 ms', 'p95 ms', 'p50 / idle p50', 'p95 / idle p50', 'paired on/off'],
    rows,
    ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right'],
  );
  console.log('  paired on/off: median over rounds of (spin on p50 / spin off p50) of adjacent blocks; above 1 = spinning off is faster');
  console.log(`  CPU time used in the 500 ms after a fill (idle, median of 5): spin on ${ms(r.cpuAfterFillMs['spin on'])} ms, spin off ${ms(r.cpuAfterFillMs['spin off'])} ms`);
  for (const p of r.phases) console.log(`  ${p}: load average (1 min) ${r.load[p].start[0].toFixed(1)} → ${r.load[p].end[0].toFixed(1)}${r.trainingSteps[p] ? `; last training line: ${r.trainingSteps[p]}` : ''}`);
}
