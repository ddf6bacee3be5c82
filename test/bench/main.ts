// Entry of `npm run bench`: fill latency and training throughput, each against an anchor run in the same process; saves JSON.
import os from 'node:os';
import path from 'node:path';
import { benchBurst, printBurst } from './burst';
import { mainDuringTraining } from './duringTraining';
import { benchFill, type FillBenchOptions } from './fill';
import { benchFused } from './fused';
import { benchSpinning, printSpinning } from './spinning';
import { prepareModels } from './models';
import { machineInfo, saveResults } from './report';
import { benchTraining } from './train';
import { repoRoot } from '../paths';

type Part = 'fill' | 'train';

interface Args {
  readonly only?: Part;
  readonly quick: boolean;
  /** Fill latency of the bert-base-sized encoder only (128 and 256 tokens). */
  readonly base: boolean;
  /** Fill latency of the shipped default model only (models/default, its own 256-token window). */
  readonly defaultModel: boolean;
  /** Fill latency of the plain, fused, int8 and fused+int8 graphs only (main subject and models/default). */
  readonly fused: boolean;
  /** Fill latency with ORT thread spinning on and off, idle and during a cloze train run, only (issue 12 #4). */
  readonly spinning: boolean;
  /** Bursts of completion requests over LSP to the bundled service only (issue 12 #5). */
  readonly burst: boolean;
  readonly runs?: number;
  readonly threads?: number;
}

const USAGE = 'usage: npm run bench -- [--only fill|train] [--quick] [--base] [--default-model] [--fused] [--spinning] [--burst] [--runs N] [--threads N]';

function parseArgs(argv: readonly string[]): Args {
  let only: Part | undefined;
  let quick = false;
  let base = false;
  let defaultModel = false;
  let fused = false;
  let spinning = false;
  let burst = false;
  let runs: number | undefined;
  let threads: number | undefined;
  const positive = (flag: string, v: string | undefined): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} takes a positive integer\n${USAGE}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') quick = true;
    else if (a === '--base') base = true;
    else if (a === '--default-model') defaultModel = true;
    else if (a === '--fused') fused = true;
    else if (a === '--spinning') spinning = true;
    else if (a === '--burst') burst = true;
    else if (a === '--only') {
      const v = argv[++i];
      if (v !== 'fill' && v !== 'train') throw new Error(`--only takes fill or train\n${USAGE}`);
      only = v;
    } else if (a === '--runs') runs = positive(a, argv[++i]);
    else if (a === '--threads') threads = positive(a, argv[++i]);
    else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown option ${a}\n${USAGE}`);
  }
  return { only, quick, base, defaultModel, fused, spinning, burst, runs, threads };
}

async function main(): Promise<void> {
  // Fills through the service during its own training run: alone, with flags of its own (test/bench/duringTraining.ts).
  if (process.argv.includes('--during-training')) return mainDuringTraining(process.argv.slice(2));
  const args = parseArgs(process.argv.slice(2));
  // --base and --default-model time one fill subject and nothing else.
  const oneSubject = args.base || args.defaultModel;
  const started = new Date();
  const machine = machineInfo();
  const log = (m: string) => console.log(`[bench] ${m}`);
  log(`${machine.cpu}, ${machine.logicalCores} logical cores, ${machine.memoryGiB} GiB, Node ${machine.node}, onnxruntime-node ${machine.onnxruntimeNode}, transformers.js ${machine.transformersJs}${args.quick ? ' (quick)' : ''}`);
  const loadAtStart = os.loadavg();
  const results: Record<string, unknown> = { started: started.toISOString(), quick: args.quick, machine };

  const opts: FillBenchOptions = {
    runs: args.runs ?? (args.quick ? 30 : 80),
    warmup: args.quick ? 5 : 10,
    threads: args.threads ?? os.availableParallelism(),
    topK: 8,
    log,
  };
  if (args.spinning) {
    const r = await benchSpinning({ rounds: args.runs ?? (args.quick ? 3 : 6), fills: 20, gapMs: 50, threads: opts.threads, trainThreads: [opts.threads, 1], log });
    printSpinning(r);
    results.spinning = r;
  }
  if (args.only !== 'train' && !args.fused && !args.spinning && !args.burst) {
    // --base: the bert-base-sized encoder alone; --default-model: the shipped model alone; --quick: the main subject
    // (6,000-row vocabulary, 256-token window).
    results.fill = await benchFill(await prepareModels(args.base ? 'base' : args.defaultModel ? 'default' : args.quick ? 'main' : 'all', log), opts);
  }
  // --fused alone, or part of the full bench: plain vs fused vs int8 graphs of the same weights.
  if (args.fused || (!args.only && !args.quick && !oneSubject && !args.spinning && !args.burst)) results.fused = await benchFused(opts);
  // --burst alone (--runs N = rounds), or part of the full bench: the bundled service answering bursts of completions.
  if (args.burst || (!args.only && !args.quick && !oneSubject && !args.fused && !args.spinning)) {
    log('completion bursts over LSP …');
    const r = await benchBurst({ rounds: (args.burst ? args.runs : undefined) ?? 3, requests: 1000, typing: 200, idleFills: 10, maxPieces: [2, 1], log });
    printBurst(r);
    results.burst = r;
  }
  // Training's PyTorch anchor alone needs ~10 s a step here, so --quick (under a minute) leaves training out unless named.
  if (args.only === 'train' || (!args.only && !args.quick && !oneSubject && !args.fused && !args.spinning && !args.burst)) {
    log('training throughput …');
    results.train = await benchTraining({ rounds: args.quick ? 2 : undefined });
  } else if (!args.only) {
    log(`training throughput skipped in ${args.base ? '--base' : args.defaultModel ? '--default-model' : args.fused ? '--fused' : args.spinning ? '--spinning' : args.burst ? '--burst' : '--quick'} (npm run bench -- --only train [--quick])`);
  }
  results.seconds = (Date.now() - started.getTime()) / 1000;
  // Other processes on a 2-core machine move absolute times a lot; the ratios hold better. Keep the context.
  results.loadAverage = { start: loadAtStart, end: os.loadavg() };
  const file = await saveResults(results, started);
  const load = (l: number[]) => l.map((v) => v.toFixed(1)).join(' ');
  log(`load average ${load(loadAtStart)} at start, ${load(os.loadavg())} at end (1/5/15 min)`);
  log(`saved ${path.relative(repoRoot, file)} and .bench/latest.json (${(results.seconds as number).toFixed(0)} s)`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
