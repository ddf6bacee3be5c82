// `cloze download org/name[@revision]`: fetches a fill-mask model from the Hugging Face Hub into the shared HF cache.
import { downloadModel, type DownloadProgress, type WeightChoice } from '../core/hub/download';
import { hubSettings } from '../core/hub/settings';
import { parseRepoSpec } from '../protocol/repoId';
import { loadableFolder } from '../train/modelSource';
import { choiceOption, commandRunner, usageError, type CommandSpec, type OptionSpec } from './options';

const WEIGHTS: readonly WeightChoice[] = ['auto', 'safetensors', 'onnx', 'quantized'];

export const SPEC = {
  name: 'download',
  args: '<org/name>[@revision]',
  positionals: { min: 1, max: 1 },
  description: `Downloads config, tokenizer files and one weight file (model.safetensors, else an ONNX export) into the Hugging Face
cache ($HF_HOME/hub, shared with Python), checks each file's size and sha256, and prepares the ONNX graph. Then the id
works wherever a model folder does: cloze fill "…[MASK]…" --model org/name.
Sharded checkpoints (model.safetensors.index.json) bring every shard.`,
  options: {
    weights: { type: 'string', arg: WEIGHTS.join('|'), help: 'which weights to fetch', shown: 'auto' },
    json: { type: 'boolean', help: 'print the repository, snapshot, model folder and files as JSON' },
  },
  notes: `Environment: HF_ENDPOINT (default https://huggingface.co), HF_TOKEN (gated or private models), HF_HOME, HF_HUB_OFFLINE=1,
HTTPS_PROXY / HTTP_PROXY / NO_PROXY.`,
} as const satisfies CommandSpec<Record<string, OptionSpec>>;

export function formatBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(0)} kB`;
  return `${n} B`;
}

export const run = commandRunner(SPEC, async ({ values, positionals }) => {
  const spec = parseRepoSpec(positionals[0]);
  if (!spec) throw usageError(`"${positionals[0]}" is not a Hub model id; write it as organization/name (e.g. FacebookAI/roberta-base), optionally @revision.`);
  const weights = choiceOption('weights', values.weights, WEIGHTS) ?? 'auto';
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
});
