// Mocha entry point loaded by the extension host (extensionTestsPath): runs suite/*.test.js and reports the counts
// in a file (CLOZE_EXT_SUITE_RESULT), since the VS Code process only hands back an exit code.
import * as fs from 'fs';
import Mocha from 'mocha';
import * as path from 'path';
import { collectResult, recordFailures } from '../results';
import { removeE2eTempDirs } from '../tempDirs';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 120_000, color: false, reporter: 'spec', grep: process.env.CLOZE_TEST_GREP });
  for (const f of fs.readdirSync(__dirname).sort()) if (f.endsWith('.test.js')) mocha.addFile(path.join(__dirname, f));
  return new Promise((resolve, reject) => {
    const runner = mocha.run(() => {
      removeE2eTempDirs();
      const res = collectResult(mocha.suite, failures);
      console.log(`ext: ${res.passed} passed, ${res.failed} failed`);
      const out = process.env.CLOZE_EXT_SUITE_RESULT;
      if (out) fs.writeFileSync(out, JSON.stringify(res));
      if (res.failed) reject(new Error(`${res.failed} extension-host tests failed`));
      else resolve();
    });
    const failures = recordFailures(runner);
  });
}
