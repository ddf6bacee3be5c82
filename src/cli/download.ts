// `cloze download org/name[@revision]`: fetches a fill-mask model from the Hugging Face Hub into the shared HF cache.
import { parseArgs } from 'node:util';
import { ClozeError } from '../core/errors';
import { downloadModel, type DownloadProgress, type WeightChoice } from '../core/hub/download';
import { hubSettings, parseRepoSpec } from '../core/hub/settings';
import { loadableFolder } from '../core/modelSource';

const USAGE = `usage: cloze download <org/name>[@revision] [--weights auto|safetensors|onnx|quantized] [--json]

Downloads config, tokenizer files and one weight file (model.safetensors, else an ONNX export) into the Hugging Face
cache ($HF_HOME/hub, shared with Python), checks each file's size and sha256, and prepares the ONNX graph. Then the id
works wherever a model folder does: cloze fill "…[MASK]…" --model org/name.
Sharded checkpoints (model.safetensors.index.json) bring every shard.
Environment: HF_ENDPOINT (default https://huggingface.co), HF_TOKEN (gated or private models), HF_HOME, HF_HUB_OFFLINE=1,
HTTPS_PROXY / HTTP_PROXY / NO_PROXY.`;

const WEIGHTS: readonly WeightChoice[] = ['auto', 'safetensors', 'onnx', 'quantized'];

export function formatBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(0)} kB`;
  return `${n} B`;
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      weights: { type: 'string', default: 'auto' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || positionals.length !== 1) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const spec = parseRepoSpec(positionals[0]);
  if (!spec) throw new ClozeError('model-missing', `"${positionals[0]}" is not a Hub model id; write it as organization/name (e.g. FacebookAI/roberta-base), optionally @revision.`);
  const weights = values.weights as WeightChoice;
  if (!WEIGHTS.includes(weights)) throw new ClozeError('model-missing', `--weights must be one of ${WEIGHTS.join(', ')}, not "${values.weights}".`);
  const settings = hubSettings();
  const tty = process.stderr.isTTY === true;
  let lastLine = 0;
  const onProgress = (p: DownloadProgress) => {
    const line = `${p.file}: ${formatBytes(p.bytes)} / ${formatBytes(p.total)} at ${formatBytes(p.bytesPerSecond)}/s`;
    if (tty) process.stderr.write(`\r${line.padEnd(79)}`);
    else if (Date.now() - lastLine > 2000 || p.bytes === p.total) {
      lastLine = Date.now();
      console.error(line);
    }
  };
  const result = await downloadModel(spec.repoId, { ...settings, revision: spec.revision, weights, onProgress, log: (m) => console.error(m) });
  if (tty) process.stderr.write('\n');
  const dir = await loadableFolder(result.dir, (m) => console.error(m));
  if (values.json) {
    console.log(JSON.stringify({ repo_id: result.repoId, revision: result.revision, sha: result.sha, snapshot: result.dir, model_dir: dir, files: result.files, downloaded_bytes: result.downloadedBytes, from_cache: result.fromCache }, null, 2));
  } else {
    console.error(`${result.repoId}@${result.sha.slice(0, 10)}: ${result.files.join(', ')}${result.downloadedBytes ? ` (${formatBytes(result.downloadedBytes)} downloaded)` : ' (all from the cache)'}`);
    console.log(result.dir);
  }
  return 0;
}
