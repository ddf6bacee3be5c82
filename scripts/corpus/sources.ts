// The pinned list of packages the default model's corpus is made from: changing this file is how the corpus changes.

/** Programming languages (code) and text formats (prose) a document can be. */
export type CodeLang = 'python' | 'typescript' | 'javascript' | 'go' | 'rust' | 'java' | 'c' | 'cpp' | 'shell';
export type ProseLang = 'markdown' | 'rst' | 'asciidoc' | 'pod' | 'manpage' | 'html' | 'text';
export type Lang = CodeLang | ProseLang;

export const PROSE_LANGS: ReadonlySet<Lang> = new Set<Lang>(['markdown', 'rst', 'asciidoc', 'pod', 'manpage', 'html', 'text']);

/** An archive inside the package (a tarball or a zip) of which only some members are worth unpacking. */
export interface NestedArchive {
  /** Path of the archive inside the unpacked package. */
  readonly path: string;
  /** Member patterns (tar --wildcards / unzip patterns). */
  readonly members: readonly string[];
}

export interface SourceSpec {
  /** Unique, stable name: the prefix of every document key, so it also decides the held-out split. */
  readonly id: string;
  readonly registry: 'npm' | 'debian';
  readonly package: string;
  /** Exact version: npm semver, or the Debian version as `apt-cache policy` prints it. */
  readonly version: string;
  /** Debian only: member patterns handed to tar (`./usr/...`); the copyright file is always added. */
  readonly members?: readonly string[];
  readonly nested?: NestedArchive;
  /** Paths (relative to the unpacked root, or the nested archive's root) to take. */
  readonly include: readonly RegExp[];
  readonly exclude?: readonly RegExp[];
  /** Forces the language of every file (extensionless C++ headers, man pages, AsciiDoc `.txt`). */
  readonly lang?: Lang;
  /** 'man': render troff with man(1); otherwise `.html` is converted to text and everything else is read as is. */
  readonly format?: 'man';
  /** Stop taking files from this source once this many bytes of normalized text are selected. */
  readonly capBytes: number;
  /**
   * Debian: the licence of the parts we read, in SPDX terms, checked by hand against the package's copyright file
   * (which the manifest also summarizes). npm: only used when package.json has no `license` string.
   */
  readonly license?: string;
}

const KB = 1000;
const MB = 1000 * KB;

/** README and markdown docs that npm packages ship count as prose. */
const NPM_DOCS = [/^README\.md$/i, /^docs?\/.*\.md$/i];

function npm(pkg: string, version: string, include: readonly RegExp[], capBytes: number, exclude: readonly RegExp[] = []): SourceSpec {
  return { id: `npm/${pkg}`, registry: 'npm', package: pkg, version, include: [...include, ...NPM_DOCS], exclude: [/(^|\/)(__tests__|test|tests|fixtures?)\//, /\.min\.js$/, /\.map$/, ...exclude], capBytes };
}

/** Sources in processing order: earlier sources win exact and near-duplicate ties. */
export const SOURCES: readonly SourceSpec[] = [
  // ---- Code: Python
  {
    id: 'debian/libpython3.11-minimal', registry: 'debian', package: 'libpython3.11-minimal', version: '3.11.2-6+deb12u9', license: 'PSF-2.0',
    members: ['./usr/lib/python3.11/*'], include: [/^usr\/lib\/python3\.11\/.*\.py$/], exclude: [/\/(site-packages|dist-packages)\//, /_sysconfigdata/],
    capBytes: 2 * MB,
  },
  {
    id: 'debian/libpython3.11-stdlib', registry: 'debian', package: 'libpython3.11-stdlib', version: '3.11.2-6+deb12u9', license: 'PSF-2.0',
    members: ['./usr/lib/python3.11/*'], include: [/^usr\/lib\/python3\.11\/.*\.py$/], exclude: [/\/(site-packages|dist-packages)\//, /_sysconfigdata/],
    capBytes: 3 * MB,
  },
  // ---- Code: Go, Rust, Java
  {
    id: 'debian/golang-1.19-src', registry: 'debian', package: 'golang-1.19-src', version: '1.19.8-2', license: 'BSD-3-Clause',
    members: ['./usr/share/go-1.19/src/*'], include: [/^usr\/share\/go-1\.19\/src\/.*\.go$/], exclude: [/\/(testdata|vendor)\//],
    capBytes: 4 * MB,
  },
  {
    id: 'debian/rust-src', registry: 'debian', package: 'rust-src', version: '1.63.0+dfsg1-2', license: 'MIT OR Apache-2.0',
    members: ['./usr/src/rustc-1.63.0/library/*'], include: [/^usr\/src\/rustc-1\.63\.0\/library\/.*\.rs$/], exclude: [/\/stdarch\//, /\/tests?\//],
    capBytes: 4 * MB,
  },
  {
    id: 'debian/openjdk-17-source', registry: 'debian', package: 'openjdk-17-source', version: '17.0.21.1+2-1~deb12u1',
    members: ['./usr/lib/jvm/openjdk-17/lib/src.zip'],
    nested: {
      path: 'usr/lib/jvm/openjdk-17/lib/src.zip',
      members: ['java.base/java/lang/*', 'java.base/java/util/*', 'java.base/java/io/*', 'java.base/java/nio/*', 'java.base/java/net/*', 'java.base/java/time/*',
        'java.base/java/math/*', 'java.base/java/text/*', 'java.net.http/*', 'java.sql/java/sql/*', 'java.logging/*'],
    },
    include: [/\.java$/], capBytes: 3.5 * MB,
    license: 'GPL-2.0-only WITH Classpath-exception-2.0',
  },
  // ---- Code: C, C++, shell
  {
    id: 'debian/glibc-source', registry: 'debian', package: 'glibc-source', version: '2.36-9+deb12u14', license: 'LGPL-2.1-or-later',
    members: ['./usr/src/glibc/glibc-2.36.tar.xz'],
    nested: {
      path: 'usr/src/glibc/glibc-2.36.tar.xz',
      members: ['glibc-2.36/string/*', 'glibc-2.36/stdlib/*', 'glibc-2.36/stdio-common/*', 'glibc-2.36/malloc/*', 'glibc-2.36/posix/*', 'glibc-2.36/libio/*',
        'glibc-2.36/time/*', 'glibc-2.36/io/*', 'glibc-2.36/misc/*', 'glibc-2.36/locale/*', 'glibc-2.36/elf/*', 'glibc-2.36/scripts/*'],
    },
    include: [/\.(c|h)$/, /^glibc-2\.36\/scripts\/.*\.sh$/], exclude: [/(^|\/)tst-/, /\/bug-/],
    capBytes: 2.5 * MB,
  },
  {
    id: 'debian/libstdc++-12-dev', registry: 'debian', package: 'libstdc++-12-dev', version: '12.2.0-14+deb12u1', license: 'GPL-3.0-or-later WITH GCC-exception-3.1',
    members: ['./usr/include/c++/12/*'], include: [/^usr\/include\/c\+\+\/12\//], lang: 'cpp', capBytes: 2 * MB,
  },
  {
    id: 'debian/libeigen3-dev', registry: 'debian', package: 'libeigen3-dev', version: '3.4.0-4', license: 'MPL-2.0',
    members: ['./usr/include/eigen3/*'], include: [/^usr\/include\/eigen3\/(Eigen|unsupported\/Eigen)\//], lang: 'cpp', capBytes: 1.2 * MB,
  },
  {
    id: 'debian/bash-completion', registry: 'debian', package: 'bash-completion', version: '1:2.11-6', license: 'GPL-2.0-or-later',
    members: ['./usr/share/bash-completion/*'], include: [/^usr\/share\/bash-completion\/(completions\/|bash_completion$)/], lang: 'shell', capBytes: 1 * MB,
  },
  {
    id: 'debian/initramfs-tools-core', registry: 'debian', package: 'initramfs-tools-core', version: '0.142+deb12u3', license: 'GPL-2.0-or-later',
    members: ['./usr/share/initramfs-tools/*', './usr/sbin/*', './usr/bin/*'], include: [/^usr\/(share\/initramfs-tools|s?bin)\//], lang: 'shell', capBytes: 0.5 * MB,
  },
  // ---- Code: TypeScript / JavaScript (npm)
  npm('typescript', '5.9.3', [/^lib\/lib\..*\.d\.ts$/, /^lib\/typescript\.d\.ts$/], 2.5 * MB),
  npm('@types/node', '22.20.5', [/\.d\.ts$/], 1.5 * MB),
  npm('effect', '3.22.4', [/^src\/.*\.ts$/], 2.5 * MB),
  npm('rxjs', '7.8.2', [/^src\/internal\/.*\.ts$/], 1 * MB),
  npm('zod', '4.6.7', [/^src\/.*\.ts$/], 1 * MB),
  npm('immer', '11.2.10', [/^src\/.*\.ts$/], 0.3 * MB),
  npm('mobx', '7.1.3', [/^src\/.*\.ts$/], 0.5 * MB),
  npm('preact', '11.2.0', [/^(\w+\/)?src\/.*\.(js|ts)$/], 0.4 * MB),
  npm('express', '5.3.0', [/^(index|lib\/.*)\.js$/, /^History\.md$/], 0.3 * MB),
  npm('lodash', '4.18.1', [/^[A-Za-z_]+\.js$/], 1 * MB, [/^lodash\.js$/, /^core\.js$/]),
  npm('react', '19.3.1', [/^cjs\/.*\.development\.js$/], 0.5 * MB),
  npm('three', '0.187.0', [/^src\/.*\.js$/], 1.5 * MB),
  npm('webpack', '5.112.2', [/^lib\/.*\.js$/], 1.5 * MB),
  npm('eslint', '10.15.0', [/^lib\/.*\.js$/], 1.5 * MB),
  npm('axios', '1.21.1', [/^lib\/.*\.js$/], 0.5 * MB),
  npm('monaco-editor', '0.57.0', [/^esm\/vs\/(base\/common|editor\/common)\/.*\.js$/], 1.5 * MB),
  // ---- Prose
  {
    id: 'debian/python3.11-doc', registry: 'debian', package: 'python3.11-doc', version: '3.11.2-6+deb12u9', license: 'PSF-2.0',
    members: ['./usr/share/doc/python3.11/html/_sources/*'], include: [/\.rst\.txt(\.gz)?$/], lang: 'rst', capBytes: 3.5 * MB,
  },
  {
    id: 'debian/linux-doc-6.1', registry: 'debian', package: 'linux-doc-6.1', version: '6.1.192-2',
    members: ['./usr/share/doc/linux-doc-6.1/Documentation/*'], include: [/\.rst(\.gz)?$/], exclude: [/\/translations\//, /\/devicetree\/bindings\//, /\/ABI\//],
    lang: 'rst', capBytes: 3.5 * MB, license: 'GPL-2.0-only (some files GPL-2.0 OR CC-BY-4.0)',
  },
  {
    id: 'debian/rust-doc', registry: 'debian', package: 'rust-doc', version: '1.63.0+dfsg1-2', license: 'MIT OR Apache-2.0',
    members: ['./usr/share/doc/rust-doc/html/book/*', './usr/share/doc/rust-doc/html/reference/*', './usr/share/doc/rust-doc/html/nomicon/*',
      './usr/share/doc/rust-doc/html/rust-by-example/*', './usr/share/doc/rust-doc/html/edition-guide/*', './usr/share/doc/rust-doc/html/rustc/*', './usr/share/doc/rust-doc/html/embedded-book/*'],
    include: [/\.html(\.gz)?$/], exclude: [/\/(print|toc|404|index)\.html(\.gz)?$/, /\/(first|second)-edition\//, /\/2018-edition\//],
    capBytes: 3 * MB,
  },
  {
    id: 'debian/postgresql-doc-15', registry: 'debian', package: 'postgresql-doc-15', version: '15.20-0+deb12u1', license: 'PostgreSQL',
    members: ['./usr/share/doc/postgresql-doc-15/html/*'], include: [/\.html(\.gz)?$/], exclude: [/\/release-\d/], capBytes: 3 * MB,
  },
  {
    id: 'debian/perl-doc', registry: 'debian', package: 'perl-doc', version: '5.36.0-7+deb12u4', license: 'Artistic-1.0-Perl OR GPL-1.0-or-later',
    members: ['./usr/share/perl/5.36.0/pod/*'], include: [/\.pod(\.gz)?$/], exclude: [/\/perl5\d+delta\.pod(\.gz)?$/], lang: 'pod', capBytes: 2.5 * MB,
  },
  {
    id: 'debian/manpages', registry: 'debian', package: 'manpages', version: '6.03-2', license: 'Linux-man-pages-copyleft and other free licences (per page)',
    members: ['./usr/share/man/man*'], include: [/^usr\/share\/man\/man\d\/[^/]+\.gz$/], lang: 'manpage', format: 'man', capBytes: 1.5 * MB,
  },
  {
    id: 'debian/manpages-dev', registry: 'debian', package: 'manpages-dev', version: '6.03-2', license: 'Linux-man-pages-copyleft and other free licences (per page)',
    members: ['./usr/share/man/man*'], include: [/^usr\/share\/man\/man\d\/[^/]+\.gz$/], lang: 'manpage', format: 'man', capBytes: 2 * MB,
  },
  {
    id: 'debian/git-doc', registry: 'debian', package: 'git-doc', version: '1:2.39.5-0+deb12u3', license: 'GPL-2.0-only',
    members: ['./usr/share/doc/git-doc/*'], include: [/\.txt(\.gz)?$/], exclude: [/\/RelNotes\//], lang: 'asciidoc', capBytes: 1.5 * MB,
  },
  {
    id: 'debian/nodejs-doc', registry: 'debian', package: 'nodejs-doc', version: '18.20.4+dfsg-1~deb12u3', license: 'MIT',
    members: ['./usr/share/doc/nodejs/api/*'], include: [/\.md\.gz$/], exclude: [/\/all\.md\.gz$/], lang: 'markdown', capBytes: 2 * MB,
  },
];

/**
 * Reserved for evaluation: these are fetched only to build a blocklist, and any corpus file that is an exact or
 * near duplicate of one of their files is dropped (this also catches copies vendored under other names).
 */
export const EVAL_SOURCES: readonly SourceSpec[] = [
  { id: 'eval/npm/hono', registry: 'npm', package: 'hono', version: '4.13.19', include: [/\.(js|ts|mjs|cjs)$/, /^README\.md$/], capBytes: Infinity },
  {
    id: 'eval/debian/python3-rich', registry: 'debian', package: 'python3-rich', version: '13.3.1-1', license: 'MIT',
    members: ['./usr/lib/python3/dist-packages/rich/*'], include: [/\.py$/], capBytes: Infinity,
  },
];

/** Path segments that mark an evaluation package or a vendored copy of one. */
export const EVAL_PATH = /(^|\/)(@?hono|rich)([-_][\w.]*)?\/|(^|\/)(hono|rich)\.\w+$/i;
