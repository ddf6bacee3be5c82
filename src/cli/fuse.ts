// `cloze fuse`: adds a fused float graph (ONNX Runtime contrib ops) to a model folder and records its parity and speed.
import { parseArgs } from 'node:util';
import { ClozeError } from '../core/errors';
import { FUSED_GRAPH, FUSED_MAX_LOGIT_DELTA, FUSED_MIN_SPEEDUP, FUSED_RECORD } from '../core/precision';
import { fuseFolder } from '../train/fuseFolder';

const USAGE = `usage: cloze fuse <model folder> [--threads N] [--rounds N] [--tokens N] [--json]

Writes ${FUSED_GRAPH}: the model's float graph rebuilt from its weights with ONNX Runtime's Attention and BiasGelu
kernels (head at the masks), after checking that its logits are within ${FUSED_MAX_LOGIT_DELTA} of the float graph's on a padded
batch. Times both graphs interleaved (--rounds, default 30, at --tokens, default 256) and records the result in
${FUSED_RECORD}: cloze.precision "auto" runs the fused graph only where it was at least ${FUSED_MIN_SPEEDUP}× faster (and no int8
graph is chosen). Measure on an otherwise idle machine: other load moves the ratio a lot.
Works on BERT / RoBERTa folders (our exports and Hugging Face ones); model.onnx is never changed.`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      threads: { type: 'string' },
      rounds: { type: 'string' },
      tokens: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    console.error(USAGE);
    return 2;
  }
  const int = (flag: string, raw: string | undefined): number | undefined => {
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new ClozeError('inference', `--${flag} must be a whole number ≥ 1, not "${raw}".`);
    return n;
  };
  const { graph, record } = await fuseFolder(positionals[0], {
    threads: int('threads', values.threads),
    rounds: int('rounds', values.rounds),
    windowTokens: int('tokens', values.tokens),
    log: values.json ? undefined : (l) => console.log(l),
  });
  if (values.json) console.log(JSON.stringify({ graph, ...record }));
  else console.log(`Wrote ${graph} and ${FUSED_RECORD}: ${record.speedup >= FUSED_MIN_SPEEDUP ? `${record.speedup.toFixed(2)}× faster, so cloze.precision "auto" uses it` : `not ${FUSED_MIN_SPEEDUP}× faster here, so cloze.precision "auto" keeps the float graph`}.`);
  return 0;
}
