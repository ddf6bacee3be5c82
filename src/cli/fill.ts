// `cloze fill`: the engine from a terminal, printing candidates like Hugging Face's fill-mask pipeline.
import { parseArgs } from 'node:util';
import { Engine } from '../core/engine';
import { ClozeError } from '../core/errors';
import { PRECISIONS, type Precision } from '../core/precision';
import { DEVICES, type Device } from '../core/session';
import { defaultModelDir } from './paths';

/** More candidates than anyone reads; ranking a whole vocabulary per mask on a line of masks took half a minute. */
const MAX_TOP_K = 1000;

const USAGE = `usage: cloze fill "<text with [MASK]>" [--model DIR|org/name] [--top-k N] [--targets w1,w2] [--device cuda,cpu] [--precision fp32|int8|auto] [--json]`;

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
  const text = positionals.join(' ');
  const engine = await Engine.load(values.model ?? defaultModelDir(), { devices, precision: precision as Precision, log: (m) => console.error(m) });
  try {
    const preds = await engine.fill(text, { topK, targets: values.targets?.split(',').map((t) => t.trim()).filter(Boolean) });
    if (preds.length === 0) {
      console.error(`No mask in the text. Write [MASK]${engine.info.maskToken !== '[MASK]' ? ` or ${engine.info.maskToken}` : ''} where a word should go.`);
      return 2;
    }
    if (values.json) {
      const out = [];
      for (const p of preds) {
        const list = [];
        for (const c of p.candidates) list.push({ token: c.id, token_str: await engine.tokenizer.decode([c.id]), score: c.score });
        out.push(list);
      }
      console.log(JSON.stringify(out, null, 2));
      return 0;
    }
    preds.forEach((p, i) => {
      console.log(`${preds.length > 1 ? `mask ${i + 1} ` : ''}(${engine.info.name}, entropy ${p.entropy.toFixed(2)} bits)`);
      const width = Math.max(...p.candidates.map((c) => c.text.length + (c.joinLeft ? 1 : 0)));
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
