// The syntax of a Hugging Face repository id, `org/name[@revision]`: the extension checks it as the user types, the
// service and the CLI before any request, so all three accept the same ids.

export interface RepoSpec {
  readonly repoId: string;
  readonly revision: string;
}

const NAME = /^[A-Za-z0-9](?:[\w.-]{0,94}[\w])?$/;

/** `org/name[@revision]` → its parts; undefined for anything else (paths, single names, `..`, `--`). */
export function parseRepoSpec(spec: string): RepoSpec | undefined {
  const s = spec.trim();
  const at = s.indexOf('@');
  const id = at < 0 ? s : s.slice(0, at);
  const revision = at < 0 ? 'main' : s.slice(at + 1);
  const parts = id.split('/');
  if (parts.length !== 2 || !parts.every((p) => NAME.test(p) && !p.includes('--') && !p.includes('..'))) return undefined;
  if (!/^[\w.\/-]+$/.test(revision) || revision.includes('..')) return undefined;
  return { repoId: id, revision };
}
