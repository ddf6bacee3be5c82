// Keeps credentials out of training text: files that hold secrets by name are never read, key-like strings are replaced.
import ignore from 'ignore';

/**
 * Files and folders that hold credentials by convention, in .gitignore syntax (case-insensitive). Applied to every
 * training input on top of .gitignore and the user's excludes, even to a file named explicitly.
 */
export const SECRET_FILE_PATTERNS: readonly string[] = [
  '.env', '.env.*', '*.env', '.envrc',
  '*.pem', '*.key', '*.p12', '*.pfx', '*.jks', '*.keystore', '*.kdbx', '*.ppk', '*.gpg', '*.ovpn',
  'id_rsa*', 'id_dsa*', 'id_ecdsa*', 'id_ed25519*',
  '*credentials*', '*secret*', '*.tfstate', '*.tfstate.*', '*.tfvars',
  '.npmrc', '.yarnrc.yml', '.pypirc', '.netrc', '_netrc', '.git-credentials', '.htpasswd', '.pgpass', '.s3cfg', '.boto',
  '.ssh/', '.aws/', '.gnupg/', '.docker/', '.kube/', '.azure/', '.gcloud/',
];

const secretFiles = ignore({ ignorecase: true }).add([...SECRET_FILE_PATTERNS]);

/** Whether a path (relative, `/`-separated; a trailing `/` for a folder) names a credentials file or folder. */
export function isSecretPath(rel: string): boolean {
  return rel !== '' && secretFiles.ignores(rel);
}

/** What replaces a key-like string in training text. */
export const SECRET_PLACEHOLDER = 'REDACTED';

/** Secrets with a recognizable shape: replaced whole, whatever their entropy. */
const SHAPED: readonly RegExp[] = [
  /-----BEGIN[A-Z ]*PRIVATE KEY( BLOCK)?-----[\s\S]*?(-----END[A-Z ]*PRIVATE KEY( BLOCK)?-----|$)/g,
  /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}\b/g, // AWS access key ids
  /\bgh[pousr]_[A-Za-z0-9]{30,}\b/g, // GitHub tokens
  /\bgithub_pat_[A-Za-z0-9_]{30,}\b/g,
  /\bglpat-[A-Za-z0-9_-]{20,}\b/g, // GitLab
  /\bsk-(?:proj-|ant-)?(?=[\w-]*[0-9])(?=[\w-]*[A-Z])[A-Za-z0-9_-]{20,}\b/g, // OpenAI / Anthropic style (not kebab-case words)
  /\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}\b/g, // Stripe
  /\bxox[abposr]-(?=[A-Za-z0-9-]*[0-9])[A-Za-z0-9-]{10,}\b/g, // Slack
  /\bAIza[0-9A-Za-z_-]{35}\b/g, // Google API keys
  /\bnpm_[A-Za-z0-9]{36}\b/g,
  /\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/g, // JSON Web Tokens
  /\b[a-z][a-z0-9+.-]*:\/\/[^\s:@/]+:[^\s@/]{3,}@/g, // user:password@ in URLs
];

/** Runs of key alphabet characters long enough to be a key; judged by their entropy. */
const RUN = /[A-Za-z0-9+/=_-]{32,}/g;

/** Shannon entropy in bits per character. */
export function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const c of counts.values()) {
    const p = c / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/**
 * Whether a run of key-alphabet characters looks random enough to be a key: hex of 32+ characters near the 4-bit
 * maximum, or base64-like text with digits and both cases whose entropy is above what identifiers and words reach.
 */
function looksRandom(run: string): boolean {
  const core = run.replace(/=+$/, '');
  // An alphabet or a counting sequence ("abcdef…XYZ0123…") has every character once, but is no key.
  let steps = 0;
  for (let i = 1; i < core.length; i++) if (core.charCodeAt(i) - core.charCodeAt(i - 1) === 1) steps++;
  if (steps > core.length / 2) return false;
  if (/^[0-9a-f]+$/i.test(core)) return core.length >= 32 && entropy(core) >= 3.5;
  if (!/[0-9]/.test(core) || !/[a-z]/.test(core) || !/[A-Z]/.test(core)) return false;
  // Paths and snake/kebab identifiers are runs of words; a key rarely has many separators.
  if ((core.match(/[/_-]/g) ?? []).length > core.length / 8) return false;
  return entropy(core) >= 4.2;
}

export interface Redaction {
  readonly text: string;
  /** Key-like strings replaced. */
  readonly count: number;
}

/** Replaces key-like strings in training text with a placeholder. */
export function redactSecrets(text: string): Redaction {
  let count = 0;
  let out = text;
  for (const re of SHAPED) {
    out = out.replace(re, () => {
      count++;
      return SECRET_PLACEHOLDER;
    });
  }
  out = out.replace(RUN, (run) => {
    if (!looksRandom(run)) return run;
    count++;
    return SECRET_PLACEHOLDER;
  });
  return { text: out, count };
}
