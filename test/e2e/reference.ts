// Reference predictions of the fixture models (computed by an independent PyTorch implementation), so assertions
// compare the extension's output with numbers it did not produce.
import * as fs from 'fs';
import * as path from 'path';

export interface ReferenceMask {
  position: number;
  top_tokens: string[];
  top_probs: number[];
}

export interface ReferenceCase {
  name: string;
  texts: string[];
  masks: ReferenceMask[];
}

export function referenceCase(modelDir: string, text: string): ReferenceCase {
  const ref = JSON.parse(fs.readFileSync(path.join(modelDir, 'reference.json'), 'utf8')) as { cases: ReferenceCase[] };
  const hit = ref.cases.find((c) => c.texts.length === 1 && c.texts[0] === text);
  if (!hit) throw new Error(`no reference case for ${JSON.stringify(text)} in ${modelDir}`);
  return hit;
}

/** The best word for the first mask of `text` and its probability in percent. */
export function referenceTop(modelDir: string, text: string): { word: string; percent: number } {
  const m = referenceCase(modelDir, text).masks[0];
  return { word: m.top_tokens[0], percent: 100 * m.top_probs[0] };
}
