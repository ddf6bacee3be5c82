// Fill latency: our engine (head-at-masks and full-logits graphs) next to transformers.js' fill-mask pipeline on the same model, runs interleaved.
import * as ort from 'onnxruntime-node';
import path from 'node:path';
import { Engine } from '../../src/core/engine';
import type { MaskTokenizer } from '../../src/core/tokenizer';
import { modelsRoot, type BenchModel } from './models';
import { ms, printTable, ratio } from './report';

export interface FillBenchOptions {
  /** Timed runs of every case (after warm-up). */
  readonly runs: number;
  readonly warmup: number;
  /** intra-op threads for every session, ours and the anchor's alike. */
  readonly threads: number;
  readonly topK: number;
  readonly log?: (message: string) => void;
}

export interface LatencyStats {
  readonly runs: number;
  readonly p50: number;
  readonly p95: number;
  readonly mean: number;
  readonly min: number;
  readonly max: number;
}

export type CaseKind = 'anchor' | 'engine' | 'session';

export interface CaseResult {
  readonly name: string;
  readonly kind: CaseKind;
  /** The ONNX file the case ran, relative to its model folder. */
  readonly graph: string;
  readonly ms: LatencyStats;
  /** Anchor time / this case's time (> 1: faster than transformers.js). */
  readonly speedupP50: number;
  readonly speedupP95: number;
  /**
   * Median over rounds of (anchor time / this case's time) within the same round: the two ran back to back, so
   * load from other processes that drifts over seconds largely cancels.
   */
  readonly pairedSpeedup: number;
  /** For end-to-end cases: p50 minus the p50 of a bare session.run of the same graph (tokenize, window, feeds, top-k). */
  readonly overheadP50?: number;
}

export interface ModelResult {
  readonly model: string;
  readonly description: string;
  readonly parameters: number;
  /** Tokens each side fed to the model, checked equal before timing. */
  readonly windowTokens: number;
  readonly maskPosition: number;
  readonly checks: {
    /** transformers.js' tokenizer produced exactly our framed ids. */
    readonly sameInputIds: boolean;
    /** Our top-1 (special tokens excluded) is transformers.js' best non-special candidate. */
    readonly top1MatchesAnchor: boolean;
    /** The head-at-masks graph ranks the same top-k as the full-logits graph. */
    readonly maskedMatchesFull: boolean | null;
  };
  readonly cases: CaseResult[];
}

export interface FillBenchResult {
  readonly method: string;
  readonly runs: number;
  readonly warmup: number;
  readonly threads: number;
  readonly topK: number;
  readonly models: ModelResult[];
}

/** Prose and code words to build the window from; repeated as needed (the text's content does not change the cost). */
const PASSAGE = `The language service keeps one model loaded and answers each request with the most likely words for the
masked position. A request carries the document text, the offset of the mask and a token budget; the service cuts a
window around the mask, tokenizes it, runs the encoder and ranks the vocabulary. function parse(input) { const tokens =
input.split(" "); return tokens.map((t) => t.trim()).filter(Boolean); } When the user keeps typing, older requests are
dropped before they reach the model, so the editor never waits on work nobody will read. Training continues from the
current weights on the files of the workspace and writes checkpoints that can be resumed after a crash.`.split(/\s+/);

export function percentile(sorted: readonly number[], q: number): number {
  if (!sorted.length) return Number.NaN;
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

export function summarize(samples: readonly number[]): LatencyStats {
  const s = [...samples].sort((a, b) => a - b);
  return {
    runs: s.length,
    p50: percentile(s, 0.5),
    p95: percentile(s, 0.95),
    mean: s.reduce((a, b) => a + b, 0) / s.length,
    min: s[0],
    max: s[s.length - 1],
  };
}

/**
 * Text that frames to exactly `window` tokens with one `[MASK]` in the middle: words are added until each side holds
 * its share, then single-token periods make up the last few.
 */
export async function textOfWindow(tok: MaskTokenizer, window: number, mask = '[MASK]'): Promise<{ text: string; maskPosition: number }> {
  const inner = window - 2;
  const leftShare = Math.floor((inner - 1) / 2);
  const rightShare = inner - 1 - leftShare;
  const count = async (s: string) => (await tok.encodeIds(s)).length;
  const side = async (share: number, offset: number): Promise<string> => {
    const words: string[] = [];
    for (let i = offset; ; i++) {
      const next = [...words, PASSAGE[i % PASSAGE.length]];
      if ((await count(next.join(' '))) > share) break;
      words.push(PASSAGE[i % PASSAGE.length]);
    }
    while ((await count(words.join(' '))) < share) words.push('.');
    return words.join(' ');
  };
  // A byte-level BPE can merge across the joins (a word after the mask is not the piece it was alone): shorten the
  // right side by a token or two until the whole frames exactly.
  let framed = { length: 0, masks: 0 };
  for (let short = 0; short < 4; short++) {
    const text = `${await side(leftShare, 0)} ${mask} ${await side(rightShare - short, 37)}`;
    const ids = await tok.encodeFramed(text);
    const masks = ids.flatMap((id, i) => (id === tok.maskId ? [i] : []));
    if (ids.length === window && masks.length === 1) return { text, maskPosition: masks[0] };
    framed = { length: ids.length, masks: masks.length };
    if (ids.length < window) break;
  }
  throw new Error(`bench text frames to ${framed.length} tokens with ${framed.masks} masks; wanted ${window} with 1`);
}

function sessionOptions(threads: number): ort.InferenceSession.SessionOptions {
  return { executionProviders: ['cpu'], graphOptimizationLevel: 'all', intraOpNumThreads: threads, interOpNumThreads: 1, logSeverityLevel: 3 };
}

/** A bare ORT session on `file` with feeds built once: the floor under any fill of that graph. */
async function bareRun(file: string, ids: readonly number[], maskPosition: number, threads: number): Promise<{ run: () => Promise<unknown>; release: () => Promise<void> }> {
  const session = await ort.InferenceSession.create(file, sessionOptions(threads));
  const S = ids.length;
  const int64 = (values: readonly number[], dims: number[]) => new ort.Tensor('int64', BigInt64Array.from(values, (v) => BigInt(v)), dims);
  const feeds: Record<string, ort.Tensor> = {};
  for (const name of session.inputNames) {
    if (name === 'input_ids') feeds[name] = int64(ids, [1, S]);
    else if (name === 'attention_mask') feeds[name] = int64(ids.map(() => 1), [1, S]);
    else if (name === 'token_type_ids') feeds[name] = int64(ids.map(() => 0), [1, S]);
    else if (name === 'mask_positions') feeds[name] = int64([maskPosition], [1, 1]);
    else throw new Error(`${file}: unexpected input ${name}`);
  }
  return { run: () => session.run(feeds), release: () => session.release() };
}

export interface TimedCase {
  readonly name: string;
  readonly kind: CaseKind;
  readonly graph: string;
  readonly run: () => Promise<unknown>;
  readonly samples: number[];
  /** The bare session.run case of the same graph, for the overhead column. */
  readonly floor?: TimedCase;
}

/** Rounds of one run per case; each round starts one case later so no case always follows the same neighbour. */
export async function interleave(cases: TimedCase[], warmup: number, runs: number): Promise<void> {
  for (let r = 0; r < warmup + runs; r++) {
    for (let j = 0; j < cases.length; j++) {
      const c = cases[(r + j) % cases.length];
      const t0 = performance.now();
      await c.run();
      const dt = performance.now() - t0;
      if (r >= warmup) c.samples.push(dt);
    }
  }
}

interface AnchorCandidate {
  readonly token: number;
  readonly score: number;
}

async function benchModel(m: BenchModel, opts: FillBenchOptions): Promise<ModelResult> {
  const log = opts.log ?? (() => undefined);
  const window = m.windowTokens;
  const fill = { topK: opts.topK, contextTokens: window };
  const loadOpts = { devices: ['cpu'] as const, threads: opts.threads };
  const full = await Engine.load(m.fullDir, loadOpts);
  const masked = m.maskedDir ? await Engine.load(m.maskedDir, loadOpts) : undefined;
  if (full.info.headAtMasks) throw new Error(`${m.fullDir} should hold the full-logits graph only`);
  if (masked && !masked.info.headAtMasks) throw new Error(`${m.maskedDir} did not load the head-at-masks graph`);

  // transformers.js ships as an ES module only (its types say so), so a CommonJS build loads it with import().
  const { env, pipeline } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = modelsRoot + path.sep;
  const anchor = await pipeline('fill-mask', m.anchorId, {
    dtype: 'fp32',
    device: 'cpu',
    local_files_only: true,
    session_options: { graphOptimizationLevel: 'all', intraOpNumThreads: opts.threads, interOpNumThreads: 1 },
  });

  // The model's own mask token: transformers.js knows only that one (`<mask>` for RoBERTa), the engine both.
  const { text, maskPosition } = await textOfWindow(full.tokenizer, window, full.info.maskToken);
  const ours = await full.tokenizer.encodeFramed(text);
  const theirs = anchor.tokenizer(text, { padding: true, truncation: true }) as { input_ids: { dims: number[]; tolist(): unknown } };
  const theirIds = (theirs.input_ids.tolist() as (number | bigint)[][])[0].map(Number);
  if (theirs.input_ids.dims[1] !== window) throw new Error(`transformers.js sees ${theirs.input_ids.dims[1]} tokens, we see ${window}`);

  // One fill each, to check the engine saw the whole window and that all three agree before anything is timed.
  const fullPred = (await full.fill(text, fill))[0];
  if (fullPred.windowTokens !== window) throw new Error(`engine window is ${fullPred.windowTokens} tokens, expected ${window}`);
  const maskedPred = masked ? (await masked.fill(text, fill))[0] : undefined;
  if (maskedPred && maskedPred.windowTokens !== window) throw new Error(`engine window is ${maskedPred.windowTokens} tokens, expected ${window}`);
  const anchorOut = (await anchor(text, { top_k: opts.topK + full.tokenizer.specialIds.size })) as AnchorCandidate[];
  const anchorTop1 = anchorOut.find((c) => !full.tokenizer.specialIds.has(c.token))?.token;
  const checks = {
    sameInputIds: theirIds.length === ours.length && theirIds.every((v, i) => v === ours[i]),
    top1MatchesAnchor: anchorTop1 === fullPred.candidates[0]?.id,
    maskedMatchesFull: maskedPred ? maskedPred.candidates.map((c) => c.id).join() === fullPred.candidates.map((c) => c.id).join() : null,
  };
  for (const [k, v] of Object.entries(checks)) if (v === false) log(`WARNING ${m.label}: check ${k} failed`);

  const bareFull = await bareRun(full.info.onnxFile, ours, maskPosition, opts.threads);
  const bareMasked = masked ? await bareRun(masked.info.onnxFile, ours, maskPosition, opts.threads) : undefined;
  const rel = (e: Engine) => path.relative(e.info.dir, e.info.onnxFile);
  const floorFull: TimedCase = { name: '  session.run only, full logits', kind: 'session', graph: rel(full), run: bareFull.run, samples: [] };
  const floorMasked: TimedCase | undefined = masked && bareMasked
    ? { name: '  session.run only, head at mask', kind: 'session', graph: rel(masked), run: bareMasked.run, samples: [] }
    : undefined;
  const cases: TimedCase[] = [
    // transformers.js runs onnx/model.onnx, the same full-logits graph as floorFull.
    { name: 'transformers.js fill-mask pipeline', kind: 'anchor', graph: 'onnx/model.onnx', run: () => anchor(text, { top_k: opts.topK }), samples: [], floor: floorFull },
    ...(masked && floorMasked
      ? [{ name: 'Cloze engine.fill, head at mask', kind: 'engine' as const, graph: rel(masked), run: () => masked.fill(text, fill), samples: [], floor: floorMasked }, floorMasked]
      : []),
    { name: 'Cloze engine.fill, full logits', kind: 'engine', graph: rel(full), run: () => full.fill(text, fill), samples: [], floor: floorFull },
    floorFull,
  ];
  log(`${m.label}: ${window}-token window, ${cases.length} cases × (${opts.warmup} warm-up + ${opts.runs} runs), interleaved …`);
  await interleave(cases, opts.warmup, opts.runs);

  await bareFull.release();
  await bareMasked?.release();
  await anchor.dispose();
  await full.dispose();
  await masked?.dispose();

  const stats = new Map(cases.map((c) => [c, summarize(c.samples)]));
  const anchorStats = stats.get(cases[0])!;
  return {
    model: m.label,
    description: m.description,
    parameters: m.parameters,
    windowTokens: window,
    maskPosition,
    checks,
    cases: cases.map((c) => {
      const s = stats.get(c)!;
      const base = c.floor ? stats.get(c.floor)!.p50 : undefined;
      return {
        name: c.name.trim(),
        kind: c.kind,
        graph: c.graph,
        ms: s,
        speedupP50: anchorStats.p50 / s.p50,
        speedupP95: anchorStats.p95 / s.p95,
        pairedSpeedup: summarize(c.samples.map((v, r) => cases[0].samples[r] / v)).p50,
        ...(base !== undefined ? { overheadP50: s.p50 - base } : {}),
      };
    }),
  };
}

export function printFill(result: FillBenchResult): void {
  for (const m of result.models) {
    const rows = m.cases.map((c) => [
      c.kind === 'session' ? `  ${c.name}` : c.name,
      c.graph,
      ms(c.ms.p50),
      ms(c.ms.p95),
      ms(c.ms.mean),
      c.kind === 'anchor' ? 'anchor' : ratio(c.speedupP50),
      c.kind === 'anchor' ? 'anchor' : ratio(c.speedupP95),
      c.kind === 'anchor' ? '' : ratio(c.pairedSpeedup),
      c.overheadP50 !== undefined ? ms(c.overheadP50) : '',
    ]);
    const failed = Object.entries(m.checks).filter(([, v]) => v === false).map(([k]) => k);
    printTable(
      `Fill latency, ms — ${m.model}: ${m.description}; ${m.windowTokens}-token window, mask at ${m.maskPosition}, top-${result.topK}, ` +
        `${result.threads} threads, ${result.runs} interleaved runs each` + (failed.length ? ` — CHECKS FAILED: ${failed.join(', ')}` : ''),
      ['case', 'graph', 'p50', 'p95', 'mean', 'anchor/ours p50', 'anchor/ours p95', 'paired median', 'over session.run p50'],
      rows,
      ['left', 'left'],
    );
  }
}

export async function benchFill(models: readonly BenchModel[], opts: FillBenchOptions): Promise<FillBenchResult> {
  const out: ModelResult[] = [];
  for (const m of models) out.push(await benchModel(m, opts));
  const result: FillBenchResult = {
    method:
      'One process, CPU execution provider, the same intra-op thread count for every session. Each model is loaded by our engine ' +
      '(head-at-masks graph where the model has one, and the full-logits graph) and by transformers.js\' fill-mask pipeline ' +
      '(onnx/model.onnx, dtype fp32). The text frames to exactly the window length with one mask in the middle; input ids are ' +
      'checked identical. Each round runs every case once, rotating the order; warm-up rounds are discarded. ' +
      'Percentiles by linear interpolation; "paired median" is the median over rounds of anchor time / case time in the same round. ' +
      '"session.run only" times a bare InferenceSession.run with prebuilt feeds.',
    runs: opts.runs,
    warmup: opts.warmup,
    threads: opts.threads,
    topK: opts.topK,
    models: out,
  };
  printFill(result);
  return result;
}
