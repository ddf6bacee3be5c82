// A run's model exported as a new version of its model folder, switched to only once complete.
import { exportModel } from './export';
import { publishModel } from './exportPointer';
import type { BertConfig, Params } from './model';

/**
 * Exports as a new version of `dir` and switches its pointer to it (see exportPointer.ts): a kill at any instant leaves
 * the previous or the new model loadable through `dir`, and temporaries of killed exports are removed at the next one.
 */
export async function exportAtomically(dir: string, cfg: BertConfig, params: Params, tokenizerDir: string): Promise<void> {
  // The head-at-masks variant is what the engine prefers: the vocabulary head runs only where a mask is.
  await publishModel(dir, (folder) => exportModel(folder, cfg, params, tokenizerDir, { maskedVariant: true }));
}
