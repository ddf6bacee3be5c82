// `cloze quantize`: adds an int8 graph to a model folder and records how well it agrees with the float one.
import { parseArgs } from 'node:util';
import { ClozeError } from '../core/errors';
import { AUTO_MIN_AGREEMENT, QUANTIZATION_RECORD } from '../core/precision';
import { collectCorpus } from '../train/corpus';
import { quantizeFolder } from '../train/quantizeFolder';

const USAGE = `usage: cloze quantize <model folder> [--eval <dir-or-file>…] [--head auto|int8|float] [--weights int8|uint8] [--max-masked N] [--threads N] [--json]

Writes onnx/model_masked_quantized.onnx (dynamic int8 MatMuls, per-channel weights) next to the model's float graph.
With --eval (held-out text the model was not trained on) it also measures top-1 agreement with the float graph on
15% masked tokens and the fill time of both, and records them in ${QUANTIZATION_RECORD}: cloze.precision "auto"
uses int8 only when agreement ≥ ${100 * AUTO_MIN_AGREEMENT}% and int8 was faster. --head auto (default) keeps the
vocabulary head in float when that agrees better. --weights uint8 uses ORT's u8u8 kernels (exact on CPUs without
AVX-512 VNNI / AVX-VNNI, where int8 weights may saturate).`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      eval: { type: 'string', multiple: true },
      head: { type: 'string', default: 'auto' },
      weights: { type: 'string', default: 'int8' },
      'max-masked': { type: 'string' },
      threads: { type: 'string' },
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
  const head = values.head;
  if (head !== 'auto' && head !== 'int8' && head !== 'float') throw new ClozeError('inference', `--head must be auto, int8 or float, not "${head}".`);
  const weights = values.weights;
  if (weights !== 'int8' && weights !== 'uint8') throw new ClozeError('inference', `--weights must be int8 or uint8, not "${weights}".`);
  const int = (flag: string, raw: string | undefined): number | undefined => {
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new ClozeError('inference', `--${flag} must be a whole number ≥ 1, not "${raw}".`);
    return n;
  };
  let heldOut: string[] = [];
  if (values.eval?.length) {
    const corpus = await collectCorpus(values.eval);
    if (corpus.files.length === 0) throw new ClozeError('document-skipped', `No text files to measure on in ${values.eval.join(', ')}.`);
    heldOut = corpus.files.map((f) => f.text);
  }
  const { graph, record } = await quantizeFolder(positionals[0], {
    head,
    weightType: weights,
    heldOut,
    threads: int('threads', values.threads),
    maxMasked: int('max-masked', values['max-masked']),
    log: values.json ? undefined : (l) => console.log(l),
  });
  if (values.json) console.log(JSON.stringify({ graph, ...record }));
  else if (record.agreement === null) console.log(`Wrote ${graph}. Not measured (no --eval): cloze.precision "auto" keeps fp32; "int8" uses it.`);
  else console.log(`Wrote ${graph} and ${QUANTIZATION_RECORD}.`);
  return 0;
}
