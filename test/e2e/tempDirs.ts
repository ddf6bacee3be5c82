// Temp folders made by the e2e tests (broken models, hostile files), under one root per process so a run cleans up.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.join(os.tmpdir(), `cloze-e2e-${process.pid}`);

export function e2eTempDir(label: string): string {
  fs.mkdirSync(root, { recursive: true });
  return fs.mkdtempSync(path.join(root, `${label}-`));
}

export function removeE2eTempDirs(): void {
  fs.rmSync(root, { recursive: true, force: true });
}
