// Where the CLI finds the bundled model: next to the bundle (dist/) or the sources (src/cli/).
import { existsSync } from 'node:fs';
import path from 'node:path';

export function defaultModelDir(): string {
  for (const up of ['..', '../..']) {
    const dir = path.resolve(__dirname, up, 'models', 'default');
    if (existsSync(dir)) return dir;
  }
  return path.resolve(__dirname, '..', 'models', 'default');
}
