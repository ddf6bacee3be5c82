// Where training runs live (workspace storage) and what the workspace remembers about them; what a run folder holds is
// the service's business (src/train/runs.ts).
import path from 'node:path';
import * as vscode from 'vscode';
import type { TrainHistoryEntry } from '../../protocol';

export type HistoryEntry = TrainHistoryEntry;

const HISTORY = 'cloze.training.history';
const TRAINED_MODEL = 'cloze.training.model';
const RUN_PENDING = 'cloze.training.runPending';
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

  /**
   * Whether a run may have been left unfinished: set when one starts, cleared when one ends done or the user discards
   * it. Only then does the window ask the service (starting it) about runs to resume.
   */
  get mayHaveUnfinishedRun(): boolean {
    return this.context.workspaceState.get<boolean>(RUN_PENDING, false);
  }

  async setMayHaveUnfinishedRun(pending: boolean): Promise<void> {
    await this.context.workspaceState.update(RUN_PENDING, pending);
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
