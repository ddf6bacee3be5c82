// `cloze fill`: the engine from a terminal, printing candidates like Hugging Face's fill-mask pipeline.
import { parseArgs } from 'node:util';
import { Engine, type Candidate } from '../core/engine';
import { ClozeError } from '../core/errors';
import { PRECISIONS, type Precision } from '../core/precision';
import { DEVICES, type Device } from '../core/session';
import { MAX_PIECES_LIMIT } from '../core/wholeWord';
import { defaultModelDir } from './paths';

/** More candidates than anyone reads; ranking a whole vocabulary per mask on a line of masks took half a minute. */
const MAX_TOP_K = 1000;

const USAGE = `usage: cloze fill "<text with [MASK]>" [--model DIR|org/name] [--top-k N] [--targets w1,w2] [--max-pieces N] [--joint] [--device cuda,cpu] [--precision fp32|int8|auto] [--json]

  --max-pieces N  a mask may stand for a whole word of up to N vocabulary pieces (1-${MAX_PIECES_LIMIT}, default 1: one piece);
                  scores are then shares of the candidates listed (docs/whole-words.md)
  --joint         several masks: consistent combinations (one piece per mask) with their joint probability
  --json          one mask: [{score, token, token_str, sequence}] as Hugging Face's pipeline prints; several: one list per mask`;

/** The text with the mask replaced by the candidate (and the blank before it removed when the piece joins the word before). */
function sequence(text: string, span: { start: number; end: number }, c: Candidate): string {
  const head = c.joinLeft ? text.slice(0, span.start).replace(/[ \t]+$/, '') : text.slice(0, span.start);
  return head + c.insert + text.slice(span.end);
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      model: { type: 'string' },
      'top-k': { type: 'string', default: '5' },
      targets: { type: 'string' },
      device: { type: 'string', default: 'cpu' },
      precision: { type: 'string', default: 'fp32' },
      json: { type: 'boolean', default: false },
      'max-pieces': { type: 'string', default: '1' },
      joint: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || positionals.length === 0) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const topK = Number(values['top-k']);
  if (!Number.isInteger(topK) || topK < 1 || topK > MAX_TOP_K) throw new ClozeError('inference', `--top-k must be a whole number from 1 to ${MAX_TOP_K}, not "${values['top-k']}".`);
  const devices = values.device.split(',').map((d) => d.trim()) as Device[];
  const bad = devices.filter((d) => !DEVICES.includes(d));
  if (bad.length) throw new ClozeError('inference', `Unknown device ${bad.join(', ')}; choose from ${DEVICES.join(', ')}.`);
  const precision = PRECISIONS.find((p) => p === values.precision);
  if (!precision) throw new ClozeError('inference', `--precision must be ${PRECISIONS.join(', ')}, not "${values.precision}".`);
  const maxPieces = Number(values['max-pieces']);
  if (!Number.isInteger(maxPieces) || maxPieces < 1 || maxPieces > MAX_PIECES_LIMIT) throw new ClozeError('inference', `--max-pieces must be a whole number from 1 to ${MAX_PIECES_LIMIT}, not "${values['max-pieces']}".`);
  const text = positionals.join(' ');
  const engine = await Engine.load(values.model ?? defaultModelDir(), { devices, precision: precision as Precision, log: (m) => console.error(m) });
  try {
    const targets = values.targets?.split(',').map((t) => t.trim()).filter(Boolean);
    const preds = await engine.fill(text, { topK, targets, maxPieces });
    if (preds.length === 0) {
      console.error(`No mask in the text. Write [MASK]${engine.info.maskToken !== '[MASK]' ? ` or ${engine.info.maskToken}` : ''} where a word should go.`);
      return 2;
    }
    if (values.joint) return await printJoint(engine, text, preds.length, topK, values.json);
    const shared = maxPieces > 1 || preds.some((p) => p.candidates.some((c) => c.pieces));
    if (values.json) {
      const out = [];
      for (const p of preds) {
        const list = [];
        for (const c of p.candidates) {
          // token_str: what replaces the mask, decoded as the pipeline decodes it (a byte-level word keeps its space).
          const ids = c.pieces ? [...c.pieces] : [c.id];
          list.push({ score: c.score, token: c.id, token_str: await engine.tokenizer.decode(ids), sequence: sequence(text, p.span, c), ...(c.pieces ? { tokens: ids } : {}) });
        }
        out.push(list);
      }
      console.log(JSON.stringify(out.length === 1 ? out[0] : out, null, 2));
      return 0;
    }
    if (shared) console.error('(whole words: each score is the share of the candidates listed, not a probability over all words)');
    preds.forEach((p, i) => {
      console.log(`${preds.length > 1 ? `mask ${i + 1} ` : ''}(${engine.info.name}, entropy ${p.entropy.toFixed(2)} bits)`);
      const width = Math.max(1, ...p.candidates.map((c) => c.text.length + (c.joinLeft ? 1 : 0)));
      for (const c of p.candidates) {
        const word = (c.joinLeft ? '…' : '') + c.text;
        const bar = '█'.repeat(Math.round(c.score * 30));
        console.log(`  ${word.padEnd(width)}  ${(c.score * 100).toFixed(2).padStart(6)}%  ${bar}`);
      }
    });
    return 0;
  } finally {
    await engine.dispose();
  }
}

/** `--joint`: the best combinations of words for the masks (up to 8, nearest first), each with its joint probability. */
async function printJoint(engine: Engine, text: string, masks: number, topK: number, json: boolean): Promise<number> {
  const spans = engine.masksIn(text);
  const j = masks >= 2 ? await engine.fillJoint(text, spans[0].start, { beam: Math.min(topK, 10), maxMasks: Math.min(masks, 8) }) : undefined;
  if (!j) {
    console.error('--joint needs two or more masks in the text.');
    return 2;
  }
  const rows = j.alternatives.map((a) => {
    let seq = '';
    let cursor = 0;
    j.spans.forEach((s, i) => {
      seq += text.slice(cursor, s.start) + a.texts[i];
      cursor = s.end;
    });
    return { score: a.score, token: a.ids, token_str: a.texts, sequence: seq + text.slice(cursor) };
  });
  if (json) {
    console.log(JSON.stringify(rows, null, 2));
    return 0;
  }
  console.log(`(${engine.info.name}, ${j.spans.length} masks filled together; score = probability of the whole combination)`);
  const width = Math.max(...rows.map((r) => r.token_str.join(' … ').length));
  for (const r of rows) console.log(`  ${r.token_str.join(' … ').padEnd(width)}  ${(r.score * 100).toFixed(2).padStart(6)}%`);
  return 0;
}
