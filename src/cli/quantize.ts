// `cloze quantize`: adds an int8 graph to a model folder and records how well it agrees with the float one.
import { AUTO_MIN_AGREEMENT, QUANTIZATION_RECORD } from '../core/precision';
import { collectCorpus } from '../train/corpus';
import { quantizeFolder } from '../train/quantizeFolder';
import { choiceOption, commandRunner, numberOption, THREADS, usageError, type CommandSpec, type OptionSpec } from './options';

export const SPEC = {
  name: 'quantize',
  args: '<model folder>',
  positionals: { min: 1, max: 1 },
  description: `Writes onnx/model_masked_quantized.onnx (dynamic int8 MatMuls, per-channel weights) next to the model's float graph.
With --eval (held-out text the model was not trained on) it also measures top-1 agreement with the float graph on
15% masked tokens and the fill time of both, and records them in ${QUANTIZATION_RECORD}: cloze.precision "auto"
uses int8 only when agreement ≥ ${100 * AUTO_MIN_AGREEMENT}% and int8 was faster. --head auto (default) keeps the
MLM head (dense transform and decoder) in float where the graph computes it only at the masks, elsewhere when that
agrees better. --weights uint8 uses ORT's u8u8 kernels (exact on CPUs without
AVX-512 VNNI / AVX-VNNI, where int8 weights may saturate).`,
  options: {
    eval: { type: 'string', arg: 'DIR-OR-FILE', multiple: true, help: 'held-out text to measure agreement and speed on' },
    head: { type: 'string', arg: 'auto|int8|float', help: 'precision of the MLM head (dense transform and decoder)', shown: 'auto' },
    weights: { type: 'string', arg: 'int8|uint8', help: 'weight type of the quantised MatMuls', shown: 'int8' },
    'max-masked': { type: 'string', arg: 'N', help: 'measure on at most N masked tokens' },
    threads: THREADS,
    json: { type: 'boolean', help: 'print the graph and the record as JSON' },
  },
} as const satisfies CommandSpec<Record<string, OptionSpec>>;

export const run = commandRunner(SPEC, async ({ values, positionals }) => {
  const head = choiceOption('head', values.head, ['auto', 'int8', 'float'] as const) ?? 'auto';
  const weights = choiceOption('weights', values.weights, ['int8', 'uint8'] as const) ?? 'int8';
  const threads = numberOption('threads', values.threads, { int: true, min: 1 });
  const maxMasked = numberOption('max-masked', values['max-masked'], { int: true, min: 1 });
  let heldOut: string[] = [];
  if (values.eval?.length) {
    const corpus = await collectCorpus(values.eval);
    if (corpus.files.length === 0) throw usageError(`No text files to measure on in ${values.eval.join(', ')}.`);
    heldOut = corpus.files.map((f) => f.text);
  }
  const { graph, record } = await quantizeFolder(positionals[0], {
    head,
    weightType: weights,
    heldOut,
    threads,
    maxMasked,
    log: values.json ? undefined : (l) => console.log(l),
  });
  if (values.json) console.log(JSON.stringify({ graph, ...record }));
  else if (record.agreement === null) console.log(`Wrote ${graph}. Not measured (no --eval): cloze.precision "auto" keeps fp32; "int8" uses it.`);
  else console.log(`Wrote ${graph} and ${QUANTIZATION_RECORD}.`);
  return 0;
});
