// `cloze fuse`: adds a fused float graph (ONNX Runtime contrib ops) to a model folder and records its parity and speed.
import { FUSED_GRAPH, FUSED_MAX_LOGIT_DELTA, FUSED_MIN_SPEEDUP, FUSED_RECORD } from '../core/precision';
import { fuseFolder } from '../train/fuseFolder';
import { commandRunner, numberOption, THREADS, type CommandSpec, type OptionSpec } from './options';

export const SPEC = {
  name: 'fuse',
  args: '<model folder>',
  positionals: { min: 1, max: 1 },
  description: `Writes ${FUSED_GRAPH}: the model's float graph rebuilt from its weights with ONNX Runtime's Attention and BiasGelu
kernels (head at the masks), after checking that its logits are within ${FUSED_MAX_LOGIT_DELTA} of the float graph's on a padded
batch. Times both graphs interleaved and records the result in ${FUSED_RECORD}: cloze.precision "auto" runs the fused
graph only where it was at least ${FUSED_MIN_SPEEDUP}× faster (and no int8 graph is chosen). Measure on an otherwise idle
machine: other load moves the ratio a lot. Works on BERT / RoBERTa folders (our exports and Hugging Face ones);
model.onnx is never changed.`,
  options: {
    threads: THREADS,
    rounds: { type: 'string', arg: 'N', help: 'timed runs of each graph', shown: '30' },
    tokens: { type: 'string', arg: 'N', help: 'tokens of the timed input (capped at the model\'s limit)', shown: '256' },
    json: { type: 'boolean', help: 'print the graph and the record as JSON' },
  },
} as const satisfies CommandSpec<Record<string, OptionSpec>>;

export const run = commandRunner(SPEC, async ({ values, positionals }) => {
  const { graph, record } = await fuseFolder(positionals[0], {
    threads: numberOption('threads', values.threads, { int: true, min: 1 }),
    rounds: numberOption('rounds', values.rounds, { int: true, min: 1 }),
    windowTokens: numberOption('tokens', values.tokens, { int: true, min: 3 }),
    log: values.json ? undefined : (l) => console.log(l),
  });
  if (values.json) console.log(JSON.stringify({ graph, ...record }));
  else console.log(`Wrote ${graph} and ${FUSED_RECORD}: ${record.speedup >= FUSED_MIN_SPEEDUP ? `${record.speedup.toFixed(2)}× faster, so cloze.precision "auto" uses it` : `not ${FUSED_MIN_SPEEDUP}× faster here, so cloze.precision "auto" keeps the float graph`}.`);
  return 0;
});
