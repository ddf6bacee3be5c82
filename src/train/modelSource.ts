// Turns what a user names as a model (a folder, or a Hugging Face Hub id) into a folder the engine can load:
// Hub ids from the local Hugging Face cache (downloading when allowed), safetensors-only folders through a graph we
// build from the weights. It lives above core because building that graph is train's (core's engine loads folders).
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Engine, type LoadOptions } from '../core/engine';
import { ClozeError } from '../core/errors';
import { cachedSnapshot } from '../core/hub/cache';
import { downloadModel } from '../core/hub/download';
import { hubSettings, type HubSettings } from '../core/hub/settings';
import { isFile, pathExists } from '../core/paths';
import { parseRepoSpec } from '../protocol/repoId';
import { prepareSafetensorsFolder } from './safetensorsModel';

/** ONNX files the engine loads (as modelFolder.ts looks for them). */
const ONNX_FILES = ['onnx/model_masked.onnx', 'model.onnx', 'onnx/model.onnx', 'onnx/model_quantized.onnx'];

/** `org/name` or `org/name@revision`: what the Hub calls a model id (a single name is taken as a folder). */
export function isHubId(spec: string): boolean {
  return parseRepoSpec(spec) !== undefined;
}

/** The model a setting names, in the form the service keys on: a Hub id stays as written unless it is a folder. */
export function modelSpecKey(spec: string, existsSync: (p: string) => boolean): string {
  if (isHubId(spec) && !existsSync(spec)) return spec.trim();
  return path.resolve(spec);
}

export interface ResolveOptions {
  readonly log?: (message: string) => void;
  /** Download a Hub model that is not in the cache (default true; never when HF_HUB_OFFLINE is set). */
  readonly download?: boolean;
  readonly hub?: Partial<HubSettings>;
}

/** The folder to load for `spec` (a folder path or a Hub id). Errors are ClozeErrors with advice. */
export async function locateModel(spec: string, opts: ResolveOptions = {}): Promise<string> {
  let dir = path.resolve(spec);
  if (!(await pathExists(dir))) {
    const repo = parseRepoSpec(spec);
    if (!repo) return dir;
    const settings = { ...hubSettings(), ...opts.hub };
    const cached = await cachedSnapshot(settings.cacheDir, repo.repoId, repo.revision);
    if (cached) dir = cached;
    else if (settings.offline || opts.download === false) {
      throw new ClozeError('model-missing', `${repo.repoId} is not in the Hugging Face cache (${settings.cacheDir})${settings.offline ? ' and HF_HUB_OFFLINE is set' : ''}. Download it first: cloze download ${spec.trim()} (or Cloze: Download Model…) while online.`);
    } else {
      opts.log?.(`Downloading ${repo.repoId}@${repo.revision} from ${settings.endpoint}`);
      try {
        dir = (await downloadModel(repo.repoId, { ...settings, revision: repo.revision })).dir;
      } catch (e) {
        // "org/name" may have been meant as a folder: say that there is none.
        if (e instanceof ClozeError && (e.code === 'hub-not-found' || e.code === 'hub-auth' || e.code === 'network')) {
          throw new ClozeError(e.code, `${e.userMessage} (There is no model folder ${dir} either.)`, e.detail);
        }
        throw e;
      }
    }
  }
  return loadableFolder(dir, opts.log);
}

/** `dir` itself when it has ONNX, else the folder built from its model.safetensors; clear errors for other weights. */
export async function loadableFolder(dir: string, log?: (message: string) => void): Promise<string> {
  if (!(await pathExists(dir)) || !(await fs.stat(dir)).isDirectory()) return dir;
  for (const f of ONNX_FILES) if (await isFile(path.join(dir, f))) return dir;
  // One model.safetensors, or shards named by model.safetensors.index.json.
  if ((await isFile(path.join(dir, 'model.safetensors'))) || (await isFile(path.join(dir, 'model.safetensors.index.json')))) return prepareSafetensorsFolder(dir, log);
  for (const other of ['pytorch_model.bin', 'tf_model.h5', 'flax_model.msgpack']) {
    if (await isFile(path.join(dir, other))) {
      throw new ClozeError('model-corrupt', `${dir} has ${other} but no model.safetensors or model.onnx, which is what Cloze reads. Convert it once with transformers: AutoModelForMaskedLM.from_pretrained(dir).save_pretrained(dir) writes model.safetensors.`);
    }
  }
  return dir;
}

/** The engine for what a user names: a model folder, a Hub id (cached or downloaded), or a safetensors-only folder. */
export async function openModel(spec: string, opts: LoadOptions & Pick<ResolveOptions, 'download' | 'hub'> = {}): Promise<Engine> {
  const { download, hub, ...load } = opts;
  return Engine.load(await locateModel(spec, { log: opts.log, download, hub }), load);
}
