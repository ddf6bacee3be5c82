// Prints benchmark tables and saves each run's numbers as JSON (.bench/results-<date>.json and .bench/latest.json).
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../paths';
import { benchDir } from './models';

/** Where the numbers came from: enough to tell two result files' machines and library versions apart. */
export interface MachineInfo {
  readonly cpu: string;
  readonly logicalCores: number;
  readonly memoryGiB: number;
  readonly platform: string;
  readonly node: string;
  readonly onnxruntimeNode: string;
  readonly transformersJs: string;
  readonly gitCommit?: string;
}

function packageVersion(name: string): string {
  try {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? 'unknown';
  } catch {
    return 'not installed';
  }
}

function gitCommit(): string | undefined {
  try {
    const head = readFileSync(path.join(repoRoot, '.git', 'HEAD'), 'utf8').trim();
    if (!head.startsWith('ref: ')) return head;
    return readFileSync(path.join(repoRoot, '.git', head.slice(5)), 'utf8').trim();
  } catch {
    return undefined;
  }
}

export function machineInfo(): MachineInfo {
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    logicalCores: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    onnxruntimeNode: packageVersion('onnxruntime-node'),
    transformersJs: packageVersion('@huggingface/transformers'),
    gitCommit: gitCommit(),
  };
}

export type Align = 'left' | 'right';

/** A plain-text table: first column left-aligned, the rest right-aligned unless told otherwise. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[], align?: readonly Align[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const side = (i: number): Align => align?.[i] ?? (i === 0 ? 'left' : 'right');
  const line = (r: readonly string[]) => r.map((c, i) => (side(i) === 'left' ? (c ?? '').padEnd(widths[i]) : (c ?? '').padStart(widths[i]))).join('  ').trimEnd();
  const rule = widths.map((w) => '─'.repeat(w)).join('  ');
  return [line(header), rule, ...rows.map(line)].map((l) => '  ' + l).join('\n');
}

export function printTable(title: string, header: readonly string[], rows: readonly (readonly string[])[], align?: readonly Align[]): void {
  console.log(`\n${title}\n${formatTable(header, rows, align)}`);
}

/** Milliseconds with precision that suits their size. */
export function ms(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}

export function ratio(v: number): string {
  return `${v.toFixed(2)}×`;
}

/** Writes the run's results; returns the dated file's path. The date is UTC so files sort by time. */
export async function saveResults(results: object, when = new Date()): Promise<string> {
  await fs.mkdir(benchDir, { recursive: true });
  const stamp = when.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
  const file = path.join(benchDir, `results-${stamp}.json`);
  const text = JSON.stringify(results, null, 2) + '\n';
  await fs.writeFile(file, text);
  await fs.writeFile(path.join(benchDir, 'latest.json'), text);
  return file;
}
