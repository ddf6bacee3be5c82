// State shared by the packaging tests: one temp dir (extensions dir, user data, workspace, logs), and the code-server
// and browser of the workbench that runs the installed .vsix; the runner closes them and keeps the dir on failure.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Browser, Page } from 'playwright-core';
import { CodeServer, repoRoot } from '../codeServer';

export const screenshotsDir = path.join(repoRoot, '.test-results', 'screenshots');

interface State {
  tmp?: string;
  cs?: CodeServer;
  browser?: Browser;
  page?: Page;
}

const state: State = {};

/** The suite's temp dir (made on first use). */
export function vsixTempDir(): string {
  state.tmp ??= fs.mkdtempSync(path.join(os.tmpdir(), 'cloze-vsix-'));
  return state.tmp;
}

/** Registers the running workbench so that the runner can screenshot and close it. */
export function trackWorkbench(cs: CodeServer, browser?: Browser, page?: Page): void {
  Object.assign(state, { cs, browser, page });
}

export async function vsixScreenshot(name: string): Promise<string | undefined> {
  if (!state.page) return undefined;
  fs.mkdirSync(screenshotsDir, { recursive: true });
  const file = path.join(screenshotsDir, `vsix-${name.replace(/[^\w.-]+/g, '-').slice(0, 120)}.png`);
  await state.page.screenshot({ path: file }).catch(() => undefined);
  return fs.existsSync(file) ? file : undefined;
}

/** Closes the browser and code-server; removes the temp dir unless `keepFiles`, and returns it if kept. */
export async function closeVsixSession(keepFiles: boolean): Promise<string | undefined> {
  await state.browser?.close().catch(() => undefined);
  await state.cs?.stop(keepFiles).catch(() => undefined);
  const tmp = state.tmp;
  Object.assign(state, { tmp: undefined, cs: undefined, browser: undefined, page: undefined });
  if (!tmp) return undefined;
  if (keepFiles) return tmp;
  fs.rmSync(tmp, { recursive: true, force: true });
  return undefined;
}
