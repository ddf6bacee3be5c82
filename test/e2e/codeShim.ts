#!/usr/bin/env node
// Stand-in "VS Code executable" for @vscode/test-electron's runTests({ vscodeExecutablePath }) where no VS Code can be
// downloaded: serves the workbench with code-server, opens it in headless Chromium with the development extension and
// the tests module passed through the smoke-test driver's `payload` URL parameter, and exits with the tests' exit code.
import * as path from 'path';
import { format } from 'util';
import { launchChromium } from './browser';
import { CodeServer, loadTools, startCodeServer } from './codeServer';

interface ShimArgs {
  devPath: string;
  testsPath: string;
  folder: string;
  userDataDir?: string;
  extensionsDir?: string;
}

function parseArgs(argv: string[]): ShimArgs {
  const value = (name: string): string | undefined => {
    const prefix = `--${name}=`;
    const hit = argv.find((a) => a.startsWith(prefix));
    return hit === undefined ? undefined : hit.slice(prefix.length);
  };
  const devPath = value('extensionDevelopmentPath');
  const testsPath = value('extensionTestsPath');
  if (!devPath || !testsPath) throw new Error('usage: codeShim --extensionDevelopmentPath=DIR --extensionTestsPath=MODULE [FOLDER]');
  const positional = argv.filter((a) => !a.startsWith('-'));
  return {
    devPath: path.resolve(devPath),
    testsPath: path.resolve(testsPath),
    folder: path.resolve(positional.pop() ?? process.cwd()),
    userDataDir: value('user-data-dir'),
    extensionsDir: value('extensions-dir'),
  };
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const timeoutMs = Number(process.env.CLOZE_E2E_TIMEOUT_MS ?? 600_000);
  const tools = loadTools();
  let cs: CodeServer | undefined;
  let code = 2;
  const browser = await launchChromium(tools);
  try {
    cs = await startCodeServer({
      workspace: args.folder,
      userDataDir: args.userDataDir,
      extensionsDir: args.extensionsDir,
      smokeTestDriver: true,
    }, tools);
    const page = await browser.newPage();
    let finish: (code: number) => void = () => undefined;
    const exited = new Promise<number>((resolve) => { finish = resolve; });
    // The smoke-test driver forwards the extension host's console here and reports the tests' exit code.
    await page.exposeFunction('codeAutomationLog', (_type: string, args: unknown[]) => {
      process.stdout.write(format(...(args ?? [])) + '\n');
    });
    await page.exposeFunction('codeAutomationExit', (code: number) => finish(code));
    page.on('crash', () => { console.error('[codeShim] the workbench page crashed'); finish(3); });
    await page.goto(cs.workbenchUrl(args.folder, args.devPath, args.testsPath));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<number>((resolve) => {
      timer = setTimeout(() => {
        console.error(`[codeShim] tests did not finish within ${timeoutMs} ms (CLOZE_E2E_TIMEOUT_MS); code-server log: ${cs?.logFile}`);
        resolve(124);
      }, timeoutMs);
    });
    code = await Promise.race([exited, timedOut]);
    clearTimeout(timer);
    return code;
  } finally {
    await browser.close().catch(() => undefined);
    await cs?.stop(code !== 0);
    if (code !== 0 && cs) console.error(`[codeShim] code-server log: ${cs.logFile}`);
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`[codeShim] ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    process.exit(2);
  },
);
