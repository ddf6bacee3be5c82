// Where training runs live (workspace storage) and what the workspace remembers about them.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import type { TrainScore, TrainSummary } from '../../server/protocol';

export interface HistoryEntry {
  readonly date: string;
  readonly mode: 'continue' | 'fresh';
  readonly minutes: number;
  readonly steps: number;
  readonly files: number;
  readonly before?: TrainScore;
  readonly after?: TrainScore;
  readonly modelDir?: string;
}

const HISTORY = 'cloze.training.history';
const TRAINED_MODEL = 'cloze.training.model';
const MAX_HISTORY = 50;

export class TrainingStore {
  constructor(private readonly context: vscode.ExtensionContext) {}

  /** Runs need a folder of their own per workspace; without a workspace there is nothing to train on. */
  get runsDir(): string | undefined {
    return this.context.storageUri && path.join(this.context.storageUri.fsPath, 'runs');
  }

  newRunDir(): string | undefined {
    const root = this.runsDir;
    if (!root) return undefined;
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
    return path.join(root, stamp);
  }

  /** The newest run that was stopped or cut off before it finished: it has a checkpoint and no finished summary. */
  async unfinishedRun(): Promise<{ dir: string; step?: number; mode: 'continue' | 'fresh' } | undefined> {
    const root = this.runsDir;
    if (!root) return undefined;
    let names: string[];
    try {
      names = (await fs.readdir(root)).sort().reverse();
    } catch {
      return undefined;
    }
    for (const name of names) {
      const dir = path.join(root, name);
      const meta = await readJson<{ mode: 'continue' | 'fresh'; discarded?: boolean }>(path.join(dir, 'cloze-run.json'));
      if (!meta || meta.discarded) continue;
      const summary = await readJson<TrainSummary & { stopped: string }>(path.join(dir, 'summary.json'));
      const hasCheckpoint = await fs.stat(path.join(dir, 'checkpoint.bin')).then(() => true, () => false);
      if (hasCheckpoint && (!summary || summary.stopped === 'cancelled')) return { dir, step: summary?.step, mode: meta.mode };
      return undefined; // the newest run finished: nothing to resume
    }
    return undefined;
  }

  async markRun(dir: string, mode: 'continue' | 'fresh'): Promise<void> {
    await fs.mkdir(dir, { recursive: true });
    await fs.writeFile(path.join(dir, 'cloze-run.json'), JSON.stringify({ mode }));
  }

  async discardRun(dir: string): Promise<void> {
    const meta = (await readJson<{ mode: string }>(path.join(dir, 'cloze-run.json'))) ?? { mode: 'continue' };
    await fs.writeFile(path.join(dir, 'cloze-run.json'), JSON.stringify({ ...meta, discarded: true }));
  }

  get history(): HistoryEntry[] {
    return this.context.workspaceState.get<HistoryEntry[]>(HISTORY, []);
  }

  async record(entry: HistoryEntry): Promise<void> {
    await this.context.workspaceState.update(HISTORY, [entry, ...this.history].slice(0, MAX_HISTORY));
  }

  get trainedModel(): string | undefined {
    return this.context.workspaceState.get<string>(TRAINED_MODEL);
  }

  async setTrainedModel(dir: string | undefined): Promise<void> {
    await this.context.workspaceState.update(TRAINED_MODEL, dir);
  }
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}
