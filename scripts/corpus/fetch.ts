// Downloads one pinned package (npm pack / apt-get download) and unpacks only the parts the corpus reads, once.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs, createReadStream } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { SourceSpec } from './sources';

const run = promisify(execFile);
const BIG = 256 * 1024 * 1024;

/** What was downloaded, and where its text now lies. */
export interface Fetched {
  /** The downloaded file (tarball or .deb), relative to the corpus folder. */
  readonly artifact: string;
  readonly artifactBytes: number;
  /** `sha256-<hex>` of the downloaded file. */
  readonly artifactSha256: string;
  /** The version the package itself declares (checked against the pin). */
  readonly version: string;
  /** Licence as the package states it (package.json `license`, or the License: fields of Debian's copyright file). */
  readonly license: string;
  /** Where the licence was read. */
  readonly licenseFrom: string;
  /** Debian: the distinct License: short names of a DEP-5 copyright file (whole package, not only the parts we read). */
  readonly copyrightLicenses: readonly string[];
  /** Folder the include patterns are matched against. */
  readonly root: string;
}

export class FetchError extends Error {
  constructor(readonly source: string, message: string) {
    super(`${source}: ${message}`);
  }
}

/** A stamp in the unpacked folder: re-extraction happens only when the pin or the member list changes. */
function stampOf(spec: SourceSpec): string {
  return JSON.stringify({ v: 2, pkg: spec.package, version: spec.version, members: spec.members ?? [], nested: spec.nested ?? null });
}

export async function fetchSource(spec: SourceSpec, corpusDir: string): Promise<Fetched> {
  return spec.registry === 'npm' ? fetchNpm(spec, corpusDir) : fetchDebian(spec, corpusDir);
}

async function fetchNpm(spec: SourceSpec, corpusDir: string): Promise<Fetched> {
  const dlDir = path.join(corpusDir, 'sources', 'npm');
  const name = `${spec.package.replace(/^@/, '').replace(/\//g, '-')}-${spec.version}`;
  const tgz = path.join(dlDir, `${name}.tgz`);
  const dest = path.join(dlDir, name);
  await fs.mkdir(dlDir, { recursive: true });
  if (!(await exists(tgz))) {
    // npm verifies the tarball against the registry's integrity hash while packing.
    const { stdout } = await run('npm', ['pack', `${spec.package}@${spec.version}`, '--json', '--pack-destination', dlDir], { cwd: dlDir, maxBuffer: BIG })
      .catch((e: Error) => { throw new FetchError(spec.id, `npm pack failed: ${e.message.split('\n')[0]}`); });
    const packed = JSON.parse(stdout) as { filename: string }[];
    const got = path.join(dlDir, packed[0].filename.replace(/^@/, '').replace(/\//g, '-'));
    if (got !== tgz) await fs.rename(got, tgz);
  }
  await unpackOnce(spec, dest, async () => {
    // The top folder is usually `package/`, but not always (@types tarballs use the bare name).
    await fs.mkdir(path.join(dest, 'package'));
    await run('tar', ['-xzf', tgz, '-C', path.join(dest, 'package'), '--strip-components=1', '--no-same-owner']);
  });
  const root = path.join(dest, 'package');
  const pkgJson = JSON.parse(await fs.readFile(path.join(root, 'package.json'), 'utf8')) as { version?: string; license?: unknown };
  if (pkgJson.version !== spec.version) throw new FetchError(spec.id, `package.json says version ${pkgJson.version}, the pin is ${spec.version}`);
  const license = typeof pkgJson.license === 'string' ? pkgJson.license : spec.license ?? JSON.stringify(pkgJson.license ?? 'unknown');
  return {
    artifact: path.relative(corpusDir, tgz), artifactBytes: (await fs.stat(tgz)).size, artifactSha256: await sha256File(tgz),
    version: pkgJson.version, license, licenseFrom: 'package.json', copyrightLicenses: [], root,
  };
}

async function fetchDebian(spec: SourceSpec, corpusDir: string): Promise<Fetched> {
  const dlDir = path.join(corpusDir, 'sources', 'debian');
  await fs.mkdir(dlDir, { recursive: true });
  let deb = await findDeb(dlDir, spec.package, spec.version);
  if (!deb) {
    try {
      await run('apt-get', ['download', `${spec.package}=${spec.version}`], { cwd: dlDir, maxBuffer: BIG });
    } catch (e) {
      const msg = (e as { stderr?: string }).stderr?.trim().split('\n').pop() ?? (e as Error).message;
      throw new FetchError(spec.id, `apt-get download ${spec.package}=${spec.version} failed (${msg}). Run 'apt-get update' first; if the mirror has dropped this version, update the pin in scripts/corpus/sources.ts (apt-cache policy ${spec.package}).`);
    }
    deb = await findDeb(dlDir, spec.package, spec.version);
    if (!deb) throw new FetchError(spec.id, `apt-get download reported success but no ${spec.package}_*.deb appeared in ${dlDir}`);
  }
  const { stdout: ver } = await run('dpkg-deb', ['-f', deb, 'Version']);
  if (ver.trim() !== spec.version) throw new FetchError(spec.id, `${path.basename(deb)} is version ${ver.trim()}, the pin is ${spec.version}`);
  const dest = path.join(dlDir, path.basename(deb, '.deb'));
  const copyright = `./usr/share/doc/${spec.package}/copyright`;
  await unpackOnce(spec, dest, async () => {
    const members = [...(spec.members ?? []), copyright];
    // tar exits 2 when a pattern matches nothing; that is expected only of the copyright file (some packages link it).
    const r = await runShell(`dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" --no-same-owner --wildcards "\${@:3}"`, [deb!, dest, ...members]);
    const errors = r.stderr.split('\n').filter((l) => l.trim() && !l.includes('Exiting with failure status') && !l.includes(`${copyright}: Not found in archive`));
    if (errors.length > 0) throw new FetchError(spec.id, `unpacking ${path.basename(deb!)} failed: ${errors.slice(0, 3).join('; ')}`);
    if (spec.nested) {
      const inner = path.join(dest, spec.nested.path);
      const out = path.join(dest, 'nested');
      await fs.mkdir(out, { recursive: true });
      if (inner.endsWith('.zip')) await run('unzip', ['-q', '-o', inner, ...spec.nested.members, '-d', out], { maxBuffer: BIG });
      else await run('tar', ['-xf', inner, '-C', out, '--no-same-owner', '--wildcards', ...spec.nested.members], { maxBuffer: BIG });
    }
  });
  const { license, from, fields } = await debianLicense(path.join(dest, copyright), spec.license);
  return {
    artifact: path.relative(corpusDir, deb), artifactBytes: (await fs.stat(deb)).size, artifactSha256: await sha256File(deb),
    version: ver.trim(), license, licenseFrom: from, copyrightLicenses: fields, root: spec.nested ? path.join(dest, 'nested') : dest,
  };
}

/** apt-get names files `<pkg>_<version with ':' as %3a>_<arch>.deb`. */
async function findDeb(dir: string, pkg: string, version: string): Promise<string | undefined> {
  const prefix = `${pkg}_${version.replace(/:/g, '%3a')}_`;
  const hit = (await fs.readdir(dir)).filter((f) => f.startsWith(prefix) && f.endsWith('.deb')).sort()[0];
  return hit ? path.join(dir, hit) : undefined;
}

/** The distinct License: short names of a machine-readable copyright file, in order of first appearance. */
/**
 * The licence: the summary pinned in sources.ts (checked by hand against the copyright file, which for big
 * packages lists dozens of licences for parts we do not read), plus the short names a machine-readable
 * (DEP-5) copyright file declares, as evidence.
 */
async function debianLicense(file: string, declared: string | undefined): Promise<{ license: string; from: string; fields: string[] }> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    return { license: declared ?? 'unknown', from: 'sources.ts (the package ships no copyright file of its own)', fields: [] };
  }
  const fields: string[] = [];
  if (/^Format:/m.test(text)) {
    for (const m of text.matchAll(/^License:[ \t]*(\S[^\n]*)$/gm)) {
      const n = m[1].trim().replace(/\s+/g, ' ');
      if (n.length <= 80 && !fields.includes(n)) fields.push(n);
    }
  }
  const from = fields.length > 0 ? 'sources.ts, checked against the DEP-5 copyright file' : 'sources.ts, checked against the free-form copyright file';
  return { license: declared ?? (fields.join('; ') || 'unknown'), from, fields };
}

async function unpackOnce(spec: SourceSpec, dest: string, unpack: () => Promise<void>): Promise<void> {
  const stampFile = path.join(dest, '.cloze-unpacked');
  const want = stampOf(spec);
  try {
    if ((await fs.readFile(stampFile, 'utf8')) === want) return;
  } catch {
    // not unpacked yet
  }
  await fs.rm(dest, { recursive: true, force: true });
  await fs.mkdir(dest, { recursive: true });
  await unpack();
  await fs.writeFile(stampFile, want);
}

async function runShell(script: string, args: readonly string[]): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run('bash', ['-c', script, 'bash', ...args], { maxBuffer: BIG });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    return { stdout: err.stdout ?? '', stderr: err.stderr ?? String(e) };
  }
}

function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file).on('data', (c) => h.update(c)).on('end', () => resolve(`sha256-${h.digest('hex')}`)).on('error', reject);
  });
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.stat(p);
    return true;
  } catch {
    return false;
  }
}
