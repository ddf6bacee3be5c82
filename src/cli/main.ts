// The `cloze` command: one entry point, one module per subcommand, typed errors printed as plain advice.
import { ClozeError } from '../core/errors';
import * as download from './download';
import * as evaluate from './eval';
import * as fill from './fill';
import * as fuse from './fuse';
import * as quantize from './quantize';
import * as surprisalCmd from './surprisal';
import * as train from './train';
import { suggest } from './options';
import { cliVersion } from './paths';

type Subcommand = { run(argv: string[]): Promise<number> };

const SUBCOMMANDS: Record<string, { summary: string; module: Subcommand }> = {
  fill: { summary: 'fill [MASK] in a sentence with a model', module: fill },
  train: { summary: 'continue or start masked-LM training on folders of text', module: train },
  eval: { summary: 'masked-token accuracy and perplexity of a model on a folder', module: evaluate },
  download: { summary: 'fetch a model from the Hugging Face Hub (org/name) into the HF cache', module: download },
  quantize: { summary: 'add an int8 graph to a model folder and measure it against fp32', module: quantize },
  fuse: { summary: 'add a fused-attention float graph to a model folder and measure it', module: fuse },
  surprisal: { summary: 'how unexpected each token of a file is to the model, in bits', module: surprisalCmd },
};

function usage(): string {
  return ['usage: cloze <command> [options]', '', ...Object.entries(SUBCOMMANDS).map(([k, v]) => `  ${k.padEnd(9)} ${v.summary}`), '', 'Run "cloze <command> --help" for its options, "cloze --version" for the version; add --debug to see the stack trace of a failure.'].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === '--help' || cmd === '-h') {
    console.log(usage());
    return 0;
  }
  if (cmd === '--version' || cmd === '-v') {
    console.log(cliVersion());
    return 0;
  }
  if (!cmd) {
    console.error(usage());
    return 2;
  }
  const sub = SUBCOMMANDS[cmd];
  if (!sub) {
    const near = suggest(cmd, Object.keys(SUBCOMMANDS));
    console.error(`Unknown command "${cmd}".${near ? ` Did you mean "${near}"?` : ''}\n\n${usage()}`);
    return 2;
  }
  return sub.module.run(rest);
}

/** `--debug` anywhere: expected failures also print their stack trace. */
const debug = process.argv.includes('--debug');

main(process.argv.slice(2).filter((a) => a !== '--debug')).then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    const code = e instanceof Error ? (e as { code?: unknown }).code : undefined;
    // Expected failures (typed errors, bad arguments, a full disk or a read-only folder) are one line; bugs show
    // their stack. --debug shows the stack of every failure.
    const expected = e instanceof ClozeError || (typeof code === 'string' && (code.startsWith('ERR_PARSE_ARGS') || /^E[A-Z]+$/.test(code)));
    if (expected) console.error(`cloze: ${e instanceof ClozeError ? e.userMessage : (e as Error).message}`);
    if (!expected || debug) console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
    process.exitCode = 1;
  },
);
