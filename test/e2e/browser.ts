// Launches Debian's Chromium through playwright-core (never `playwright install`: no browser downloads here).
import { Browser, chromium } from 'playwright-core';
import { chromiumArgs, E2eTools } from './codeServer';

export function launchChromium(tools: E2eTools, headless = true): Promise<Browser> {
  return chromium.launch({ executablePath: tools.chromium, headless, args: chromiumArgs });
}
