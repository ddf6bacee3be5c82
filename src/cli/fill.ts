// `cloze fill`: the engine from a terminal, printing candidates like Hugging Face's fill-mask pipeline.
import { Engine, type Candidate } from '../core/engine';
import { PRECISIONS } from '../core/precision';
import { DEVICES, type Device } from '../core/session';
import { MAX_PIECES_LIMIT } from '../core/wholeWord';
import { percent } from '../protocol/format';
import { choiceOption, commandRunner, numberOption, suggest, usageError, type CommandSpec, type OptionSpec } from './options';
import { defaultModelDir } from './paths';
import { openModel } from '../train/modelSource';

/** More candidates than anyone reads; ranking a whole vocabulary per mask on a line of masks took half a minute. */
const MAX_TOP_K = 1000;

export const SPEC = {
  name: 'fill',
  args: '"<text with [MASK]>"',
  positionals: { min: 1 },
  description: 'What the model puts in each [MASK] (or the model\'s own mask token) of the text, best first, with probabilities.',
  options: {
    model: { type: 'string', arg: 'DIR|org/name', help: 'the model folder or Hub id', shown: 'the bundled model' },
    'top-k': { type: 'string', arg: 'N', help: `candidates per mask (1 to ${MAX_TOP_K})`, shown: '5' },
    targets: { type: 'string', arg: 'w1,w2', help: 'score only these words' },
    'max-pieces': { type: 'string', arg: 'N', help: `a mask may stand for a whole word of up to N vocabulary pieces (1 to ${MAX_PIECES_LIMIT}); scores are then shares of the candidates listed (docs/whole-words.md)`, shown: '1' },
    joint: { type: 'boolean', help: 'several masks: consistent combinations (one piece per mask) with their joint probability' },
    device: { type: 'string', arg: DEVICES.join(','), help: 'execution providers to try, in order', shown: 'cpu' },
    precision: { type: 'string', arg: PRECISIONS.join('|'), help: 'which graph of the model runs', shown: 'fp32' },
    json: { type: 'boolean', help: 'one mask: [{score, token, token_str, sequence}] as Hugging Face\'s pipeline prints; several: one list per mask' },
  },
} as const satisfies CommandSpec<Record<string, OptionSpec>>;

/** `--device cuda,cpu`: each name checked, with a suggestion for a typo. */
function deviceList(raw: string): Device[] {
  return raw.split(',').map((d) => d.trim()).map((d) => {
    const known = DEVICES.find((x) => x === d);
    if (known) return known;
    const near = suggest(d, DEVICES);
    throw usageError(`Unknown device ${d}${near ? ` (did you mean ${near}?)` : ''}; choose from ${DEVICES.join(', ')}.`);
  });
}

/** The text with the mask replaced by the candidate (and the blank before it removed when the piece joins the word before). */
function sequence(text: string, span: { start: number; end: number }, c: Candidate): string {
  const head = c.joinLeft ? text.slice(0, span.start).replace(/[ \t]+$/, '') : text.slice(0, span.start);
  return head + c.insert + text.slice(span.end);
}

export const run = commandRunner(SPEC, async ({ values, positionals }) => {
  const topK = numberOption('top-k', values['top-k'], { int: true, min: 1, max: MAX_TOP_K }) ?? 5;
  const devices = deviceList(values.device ?? 'cpu');
  const precision = choiceOption('precision', values.precision, PRECISIONS) ?? 'fp32';
  const maxPieces = numberOption('max-pieces', values['max-pieces'], { int: true, min: 1, max: MAX_PIECES_LIMIT }) ?? 1;
  const text = positionals.join(' ');
  const engine = await openModel(values.model ?? defaultModelDir(), { devices, precision, log: (m) => console.error(m) });
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
        console.log(`  ${word.padEnd(width)}  ${percent(c.score, 2).padStart(7)}  ${bar}`);
      }
    });
    return 0;
  } finally {
    await engine.dispose();
  }
});

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
  for (const r of rows) console.log(`  ${r.token_str.join(' … ').padEnd(width)}  ${percent(r.score, 2).padStart(7)}`);
  return 0;
}
