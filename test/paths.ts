// Where tests find the repository and the parity fixtures (test/fixtures: PyTorch-made models with reference logits).
import path from 'node:path';

/** The repository root: tests are compiled to out/test/…, sources live in test/…; both sit two levels below it. */
export const repoRoot = path.resolve(__dirname, '..', __dirname.includes(`${path.sep}out${path.sep}`) ? '..' : '');
export const fixturesDir = path.join(repoRoot, 'test', 'fixtures');
export const fixture = (name: 'bert-tiny-wordpiece' | 'roberta-tiny-bpe'): string => path.join(fixturesDir, name);
export const FIXTURES = ['bert-tiny-wordpiece', 'roberta-tiny-bpe'] as const;
/** The compiled CLI entry point (tests run it as a user would, from out/). */
export const cliMain = path.join(repoRoot, 'out', 'src', 'cli', 'main.js');
