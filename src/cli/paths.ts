// Where the CLI finds what ships with it: the bundled model and package.json, next to the bundle (dist/) or the sources.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export function defaultModelDir(): string {
  for (const up of ['..', '../..', '../../..']) {
    const dir = path.resolve(__dirname, up, 'models', 'default');
    if (existsSync(dir)) return dir;
  }
  return path.resolve(__dirname, '..', 'models', 'default');
}

/** The version in the extension's package.json (dist/cli.js sits one folder below it, out/src/cli/ three). */
export function cliVersion(): string {
  for (const up of ['..', '../..', '../../..']) {
    const file = path.resolve(__dirname, up, 'package.json');
    try {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'cloze' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not this folder
    }
  }
  return 'unknown';
}
