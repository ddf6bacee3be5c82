// The language-model service: a child process that hosts the engine and answers the editor over LSP.
import {
  CancellationToken,
  createConnection,
  ProposedFeatures,
  ResponseError,
  TextDocuments,
  TextDocumentSyncKind,
  type Position,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { ClozeError, errorText } from '../core/errors';
import { DocumentGuard, type Verdict } from './documentGuard';
import { clamp, clampSettings } from './limits';
import { ModelHost } from './modelHost';
import {
  ConfigureRequest,
  FillRequest,
  NoticeNotification,
  SurprisalRequest,
  StatusNotification,
  StatusRequest,
  TrainEvalNotification,
  TrainLogNotification,
  TrainPreviewRequest,
  TrainProgressNotification,
  TrainStartRequest,
  TrainStopRequest,
  TrainUnfinishedRequest,
  TrainDiscardRequest,
  type FillResult,
  type ModelStatus,
  type ServiceSettings,
} from '../protocol';
import { surprisal } from '../core/surprisal';
import { fitCandidates, fitWords } from '../core/edges';
import { completionItems, hoverMarkdown } from './render';
import { TrainingHost } from './training';
import { HubDownloads } from './download';
import { afterNextDispatch } from './dispatchTurn';

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
const log = (m: string) => connection.console.info(m);

let settings: ServiceSettings | undefined;
const guard = new DocumentGuard((n) => {
  log(n.message);
  void connection.sendNotification(NoticeNotification, n);
});
const host = new ModelHost(
  log,
  (s) => void connection.sendNotification(StatusNotification, s),
  (e) => void connection.sendNotification(NoticeNotification, { severity: 'error', message: e.userMessage, detail: e.detail, modelActions: true }),
);

const training = new TrainingHost(host, {
  progress: (e) => void connection.sendNotification(TrainProgressNotification, e),
  evaluation: (e) => void connection.sendNotification(TrainEvalNotification, e),
  // The client writes these to the Cloze log (logging here as well printed every line twice).
  log: (m) => void connection.sendNotification(TrainLogNotification, m),
});

/** Verdicts are cached per document version: classifying a 1 MB line on every keystroke would be waste. */
const verdicts = new Map<string, { version: number; verdict: Verdict }>();
function verdictFor(doc: TextDocument): Verdict {
  const hit = verdicts.get(doc.uri);
  if (hit && hit.version === doc.version) return hit.verdict;
  const verdict = guard.check(doc.uri, doc.getText(), settings?.maxFileSizeMB ?? 5);
  verdicts.set(doc.uri, { version: doc.version, verdict });
  return verdict;
}

/** The newest request per document and purpose; older ones still queued are dropped before they reach the model. */
const latest = new Map<string, number>();
let seq = 0;
let lastStatusSent = 0;
/** Cheap pre-check for "this document has a mask": `[MASK]` or the loaded model's own mask token. */
function mayHaveMask(text: string): boolean {
  const own = host.current.maskToken;
  return text.includes('[MASK]') || (own !== undefined && text.includes(own));
}

/** Joint fills: none, with the masks on the mask's own line (completion list, ghost text), or with the nearest ones (hover, view). */
type JointScope = 'none' | 'line' | 'near';

async function fill(uri: string, position: Position, purpose: string, token: CancellationToken, topK?: number, joint: JointScope = 'none'): Promise<FillResult | null> {
  const doc = documents.get(uri);
  if (!doc || !settings) return null;
  const key = `${purpose}:${uri}`;
  const mine = ++seq;
  latest.set(key, mine);
  const version = doc.version;
  const stale = () => token.isCancellationRequested || latest.get(key) !== mine || documents.get(uri)?.version !== version;
  const text = doc.getText();
  const offset = doc.offsetAt(position);
  // Let the messages already queued (newer requests, cancellations, edits) be dispatched before this one may reach the model.
  await afterNextDispatch();
  const engine = await host.ready();
  if (!engine || stale()) return null;
  if (!engine.maskAt(text, offset)) return null;
  if (!verdictFor(doc).ok) return null;
  const t0 = performance.now();
  try {
    const maxPieces = Math.max(1, Math.min(8, Math.round(Number(settings.maxPieces ?? 1)) || 1));
    const want = topK === undefined ? settings.topK : clamp('topK', topK);
    // More one-piece candidates than shown: fitting them to the text around the mask may merge or drop many (after
    // `npm ` a model that splits npm may rank twenty continuations of the word first).
    // A mask that ends its line is read as the user sees it: the rest of the line is not written yet (engine.ts).
    const p = await engine.fillAt(text, offset, { topK: maxPieces > 1 ? want : want + FIT_SPARE, contextTokens: settings.contextTokens, maxPieces, isCancelled: stale, openLineEnd: true });
    if (!p || stale()) return null;
    // A combination offered for insertion fills only masks on this line: others may belong to unrelated sentences.
    const line = { start: doc.offsetAt({ line: position.line, character: 0 }), end: doc.offsetAt({ line: position.line + 1, character: 0 }) };
    const together = joint !== 'none' && p.masksInWindow >= 2 && (joint === 'near' || engine.masksIn(text, line.start, line.end).length >= 2)
      ? await engine.fillJoint(text, offset, { contextTokens: settings.contextTokens, isCancelled: stale, ...(joint === 'line' ? { within: line } : {}) })
      : undefined;
    if (stale()) return null;
    const latencyMs = Math.round((performance.now() - t0) * 10) / 10;
    host.lastLatencyMs = latencyMs;
    if (p.masksInWindow > 16 && p.masksInWindow / p.windowTokens > 0.25) guard.crowded(uri, p.masksInWindow);
    if (Date.now() - lastStatusSent > 500) {
      lastStatusSent = Date.now();
      void connection.sendNotification(StatusNotification, host.current);
    }
    return {
      range: { start: doc.positionAt(p.span.start), end: doc.positionAt(p.span.end) },
      candidates: (maxPieces > 1 ? fitWords(text, p.span, p.candidates) : fitCandidates(text, p.span, p.candidates).slice(0, want)).map((c) => ({ ...c })),
      entropy: p.entropy,
      latencyMs,
      model: engine.info.name,
      ...(together ? {
        joint: together.alternatives.map((a) => ({ texts: a.texts, inserts: a.inserts, score: a.score })),
        jointRanges: together.spans.map((s) => ({ start: doc.positionAt(s.start), end: doc.positionAt(s.end) })),
      } : {}),
      ...(maxPieces > 1 ? { wholeWords: true } : {}),
    };
  } catch (e) {
    if (e instanceof ClozeError && e.code === 'cancelled') return null;
    const message = e instanceof ClozeError ? e.userMessage : `Prediction failed: ${errorText(e)}`;
    log(`fill ${uri}@${position.line}:${position.character} failed: ${errorText(e)}`);
    void connection.sendNotification(NoticeNotification, { severity: 'warning', message });
    return null;
  }
}

connection.onInitialize((params) => {
  settings = clampSettings(params.initializationOptions as ServiceSettings);
  return {
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      completionProvider: { triggerCharacters: [']', '>'], resolveProvider: false },
      hoverProvider: true,
    },
    serverInfo: { name: 'cloze-service', version: '0.1.0' },
  };
});

connection.onInitialized(() => {
  if (settings) void configure(settings);
});

connection.onRequest(ConfigureRequest, (s) => {
  settings = clampSettings(s);
  verdicts.clear();
  return configure(settings);
});

connection.onRequest(StatusRequest, async () => {
  await host.ready();
  return host.current;
});

const downloads = new HubDownloads(connection, log);

/** Loads what `s` names; a Hub id not in the cache is downloaded first, visibly (src/server/download.ts). */
async function configure(s: ServiceSettings): Promise<ModelStatus> {
  const d = await downloads.fetchConfigured(s);
  // A newer configure arrived during the download: it decides what is loaded.
  if (settings !== s) return host.current;
  if (d.outcome === 'cancelled' || d.outcome === 'failed') {
    const current = host.current;
    const still = current.state === 'ready' ? ` Still using ${current.model}.` : '';
    const message = d.outcome === 'cancelled' ? `The download of ${s.trainedModel || s.model} was cancelled; run Cloze: Download Model… (or save the setting again) to continue where it stopped.${still}` : `${d.error.userMessage}${still}`;
    void connection.sendNotification(NoticeNotification, { severity: d.outcome === 'cancelled' ? 'info' : 'error', message, detail: d.error.detail, modelActions: true });
    const status: ModelStatus = current.state === 'ready' ? current : { ...current, state: 'error', error: message, errorCode: d.error.code };
    void connection.sendNotification(StatusNotification, status);
    return status;
  }
  await host.configure(s);
  return host.current;
}

connection.onRequest(FillRequest, (p, token) => fill(p.uri, p.position, p.joint && !p.ghost ? 'view' : 'fill', token, p.topK, !p.joint ? 'none' : p.ghost ? 'line' : 'near'));

/** A lens request reads at most this much text: the visible part of an editor, not a whole file. */
const SURPRISAL_MAX_CHARS = 20_000;
/** One-piece candidates asked for beyond those shown, for fitCandidates to merge or drop (ranking them costs little). */
const FIT_SPARE = 32;

connection.onRequest(SurprisalRequest, async (p, token) => {
  const doc = documents.get(p.uri);
  if (!doc || !settings) return null;
  const key = `surprisal:${p.uri}`;
  const mine = ++seq;
  latest.set(key, mine);
  const version = doc.version;
  const stale = () => token.isCancellationRequested || latest.get(key) !== mine || documents.get(p.uri)?.version !== version;
  await afterNextDispatch();
  const engine = await host.ready();
  if (!engine || stale() || !verdictFor(doc).ok) return null;
  const text = doc.getText();
  const from = doc.offsetAt(p.range.start);
  const to = Math.min(doc.offsetAt(p.range.end), from + SURPRISAL_MAX_CHARS);
  // Context: the lines around the range, enough for the model's window on both sides.
  const margin = 6 * Math.min(settings.contextTokens, 128);
  const lo = Math.max(0, from - margin);
  const hi = Math.min(text.length, to + margin);
  const t0 = performance.now();
  try {
    const tokens = await surprisal(engine, text.slice(lo, hi), { from: from - lo, to: to - lo, contextTokens: Math.min(settings.contextTokens, 128), isCancelled: stale });
    return {
      tokens: tokens.map((t) => ({ range: { start: doc.positionAt(lo + t.start), end: doc.positionAt(lo + t.end) }, bits: t.bits, rank: t.rank, top: t.top })),
      model: engine.info.name,
      ms: Math.round(performance.now() - t0),
    };
  } catch (e) {
    if (e instanceof ClozeError && e.code === 'cancelled') return null;
    log(`surprisal ${p.uri} failed: ${errorText(e)}`);
    return null;
  }
});

connection.onRequest(TrainPreviewRequest, (p) => withUserErrors(() => training.preview(p)));
connection.onRequest(TrainStartRequest, (p) => withUserErrors(() => training.start(p)));
connection.onRequest(TrainStopRequest, () => training.stop());
connection.onRequest(TrainUnfinishedRequest, (p) => withUserErrors(() => training.unfinished(p)));
connection.onRequest(TrainDiscardRequest, (p) => withUserErrors(() => training.discard(p.runDir)));

/** Request failures reach the client as LSP errors whose message is the user-facing one. */
async function withUserErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    log(`request failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    throw new ResponseError(1, e instanceof ClozeError ? e.userMessage : errorText(e));
  }
}

connection.onCompletion(async (p, token) => {
  // With other masks on the line the list also offers consistent combinations (joint fills) that fill them all.
  const r = await fill(p.textDocument.uri, p.position, 'completion', token, undefined, 'line');
  const doc = documents.get(p.textDocument.uri);
  if (!r || !doc) return null;
  return { isIncomplete: false, items: completionItems(doc, r) };
});

connection.onHover(async (p, token) => {
  const r = await fill(p.textDocument.uri, p.position, 'hover', token, undefined, 'near');
  if (!r) return null;
  const args = encodeURIComponent(JSON.stringify([{ uri: p.textDocument.uri, position: p.position }]));
  return {
    contents: { kind: 'markdown', value: hoverMarkdown(r, `[probability view](command:cloze.showProbabilities?${args})`) },
    range: r.range,
  };
});

// A document that already holds a mask when it opens is checked at once, so a binary or huge file is reported even
// before (or without) a completion request reaching one of its masks.
documents.onDidOpen((e) => {
  if (settings && mayHaveMask(e.document.getText())) verdictFor(e.document);
});

documents.onDidClose((e) => {
  verdicts.delete(e.document.uri);
  // The newest-request marks of a closed document (one per purpose): nothing can be stale there any more.
  for (const key of [...latest.keys()]) if (key.endsWith(`:${e.document.uri}`)) latest.delete(key);
  guard.forget(e.document.uri);
});

process.on('uncaughtException', (e) => {
  connection.console.error(`Uncaught exception in the Cloze service: ${e.stack ?? e}`);
  process.exit(1);
});

documents.listen(connection);
connection.listen();
