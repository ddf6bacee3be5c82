// Pass/fail counts of an e2e suite: printed with each failure's name, message and screenshot, then written for
// scripts/test.mjs (CLOZE_TEST_RESULT) with the failures, which it repeats under its summary. Shared by the extension-host suite, its runner and the UI runner.
import * as fs from 'fs';
import type * as Mocha from 'mocha';

export interface TestFailure {
  title: string;
  message: string;
  screenshot?: string;
}

export interface SuiteResult {
  passed: number;
  failed: number;
  note?: string;
  failures: TestFailure[];
}

/** Counts a finished mocha run's tests (hooks that fail count as failures too, as mocha reports them). */
export function collectResult(root: Mocha.Suite, failures: TestFailure[]): SuiteResult {
  let passed = 0;
  const walk = (s: Mocha.Suite): void => {
    for (const t of s.tests) if (t.state === 'passed') passed++;
    s.suites.forEach(walk);
  };
  walk(root);
  return { passed, failed: failures.length, failures };
}

/** Listens to a mocha runner and records every failure (tests and hooks) with its full title. */
export function recordFailures(runner: Mocha.Runner): TestFailure[] {
  const failures: TestFailure[] = [];
  runner.on('fail', (test: Mocha.Runnable, err: unknown) => {
    failures.push({ title: test.fullTitle(), message: err instanceof Error ? err.message : String(err) });
  });
  return failures;
}

export function writeResult(name: string, res: SuiteResult): void {
  console.log(`\n${name}: ${res.passed} passed, ${res.failed} failed${res.note ? ` (${res.note})` : ''}`);
  for (const f of res.failures) {
    console.log(`  FAILED ${f.title}\n    ${f.message.split('\n').join('\n    ')}${f.screenshot ? `\n    screenshot: ${f.screenshot}` : ''}`);
  }
  const file = process.env.CLOZE_TEST_RESULT;
  // The failures go in too: scripts/test.mjs repeats them under its summary, the part of a long log people see.
  const failures = res.failures.map((f) => ({ title: f.title, message: f.message.slice(0, 600) }));
  if (file) fs.writeFileSync(file, JSON.stringify({ passed: res.passed, failed: res.failed, note: res.note, failures }));
}
