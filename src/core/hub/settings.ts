// Where the Hugging Face Hub is and how to reach it, read from the same environment variables huggingface_hub uses.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ProxySettings } from './network';

export interface HubSettings {
  /** HF_ENDPOINT, default https://huggingface.co (no trailing slash). */
  readonly endpoint: string;
  /** HF_TOKEN, else the token `huggingface-cli login` saved under HF_HOME. */
  readonly token?: string;
  /** The hub cache: HF_HUB_CACHE, else $HF_HOME/hub (HF_HOME defaults to ~/.cache/huggingface). */
  readonly cacheDir: string;
  /** HF_HUB_OFFLINE=1: never touch the network, use only the cache. */
  readonly offline: boolean;
  /** The editor's proxy settings (HTTPS_PROXY / HTTP_PROXY / NO_PROXY apply without them). */
  readonly proxy?: ProxySettings;
}

const truthy = (v: string | undefined) => v !== undefined && ['1', 'true', 'yes', 'on'].includes(v.trim().toLowerCase());

export function hfHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.HF_HOME || path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'huggingface');
}

export function hubSettings(env: NodeJS.ProcessEnv = process.env): HubSettings {
  let token = env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN || undefined;
  if (!token) {
    try {
      token = readFileSync(env.HF_TOKEN_PATH || path.join(hfHome(env), 'token'), 'utf8').trim() || undefined;
    } catch {
      token = undefined;
    }
  }
  return {
    endpoint: (env.HF_ENDPOINT || 'https://huggingface.co').replace(/\/+$/, ''),
    token,
    cacheDir: env.HF_HUB_CACHE || env.HUGGINGFACE_HUB_CACHE || path.join(hfHome(env), 'hub'),
    offline: truthy(env.HF_HUB_OFFLINE) || truthy(env.TRANSFORMERS_OFFLINE),
  };
}
