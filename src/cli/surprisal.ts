// `cloze surprisal FILE`: how unexpected each token of a file is to the model, in bits (the lens's numbers, scriptable).
import { readFile, stat } from 'node:fs/promises';
import { ClozeError } from '../core/errors';
import { surprisal } from '../core/surprisal';
import { percent } from '../protocol/format';
import { commandRunner, numberOption, usageError, type CommandSpec, type OptionSpec } from './options';
import { defaultModelDir } from './paths';
import { openModel } from '../train/modelSource';

/** Each token costs one masked row: a file larger than this is a job for `cloze eval`, not a lens. */
const MAX_FILE_BYTES = 1024 * 1024;

/** GLTR's bands: where the true token ranks among the model's candidates. */
function band(rank: number): string {
  return rank <= 1 ? 'top-1' : rank <= 10 ? 'top-10' : rank <= 100 ? 'top-100' : 'rest';
}

export const SPEC = {
  name: 'surprisal',
  args: 'FILE',
  positionals: { min: 1, max: 1 },
  description: 'How unexpected each token of FILE is to the model (each token masked in turn), in bits, with the model\'s own candidates.',
  options: {
    model: { type: 'string', arg: 'DIR|org/name', help: 'the model folder or Hub id', shown: 'the bundled model' },
    context: { type: 'string', arg: 'N', help: 'tokens of context around each token (16 to 4096)', shown: '128' },
    top: { type: 'string', arg: 'N', help: 'list the N most surprising tokens', shown: '10' },
    json: { type: 'boolean', help: 'every token as [{start, end, text, bits, rank, top: [{token_str, score}]}]' },
  },
} as const satisfies CommandSpec<Record<string, OptionSpec>>;

export const run = commandRunner(SPEC, async ({ values, positionals }) => {
  const context = numberOption('context', values.context, { int: true, min: 16, max: 4096 }) ?? 128;
  const show = numberOption('top', values.top, { int: true, min: 0 }) ?? 10;
  const file = positionals[0];
  const st = await stat(file).catch(() => undefined);
  if (!st?.isFile()) throw usageError(`${file} is not a readable file.`);
  if (st.size > MAX_FILE_BYTES) throw new ClozeError('document-skipped', `${file} is ${(st.size / 1024 / 1024).toFixed(1)} MB; the surprisal lens reads files up to 1 MB (every token costs one model row).`);
  const text = await readFile(file, 'utf8');
  const engine = await openModel(values.model ?? defaultModelDir(), { devices: ['cpu'], log: (m) => console.error(m) });
  try {
    const t0 = performance.now();
    const tokens = await surprisal(engine, text, { contextTokens: context });
    const ms = performance.now() - t0;
    if (values.json) {
      console.log(JSON.stringify(tokens.map((t) => ({ start: t.start, end: t.end, text: t.text, bits: t.bits, rank: t.rank, top: t.top.map((c) => ({ token_str: c.text, score: c.score })) }))));
      return 0;
    }
    const bands = new Map<string, number>();
    for (const t of tokens) bands.set(band(t.rank), (bands.get(band(t.rank)) ?? 0) + 1);
    const mean = tokens.reduce((s, t) => s + t.bits, 0) / Math.max(1, tokens.length);
    console.log(`${file}: ${tokens.length} tokens, mean ${mean.toFixed(2)} bits/token (${engine.info.name}; ${(ms / Math.max(1, tokens.length / 100)).toFixed(0)} ms per 100 tokens)`);
    console.log(`  ${['top-1', 'top-10', 'top-100', 'rest'].map((b) => `${b} ${percent((bands.get(b) ?? 0) / Math.max(1, tokens.length))}`).join(' · ')}`);
    if (show > 0) console.log(`most surprising:`);
    const lineOf = (offset: number) => text.slice(0, offset).split('\n').length;
    for (const t of [...tokens].sort((a, b) => b.bits - a.bits).slice(0, show)) {
      console.log(`  ${t.bits.toFixed(1).padStart(5)} bits  line ${String(lineOf(t.start)).padEnd(5)} ${JSON.stringify(t.text).padEnd(18)} model expected ${t.top.slice(0, 3).map((c) => JSON.stringify(c.text)).join(' ')}`);
    }
    return 0;
  } finally {
    await engine.dispose();
  }
});
