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
  /**
   * 'man': render troff with man(1); 'dict': a dictd database (`.dict.dz`), its headers and markup removed;
   * 'wordnet': a WordNet `data.*` file, each synset as "words: gloss"; otherwise `.html` is converted to text and
   * everything else is read as is.
   */
  readonly format?: 'man' | 'dict' | 'wordnet';
  /**
   * Files larger than this (after conversion) are cut into documents of about this size at blank lines (dictionaries,
   * single-file manuals), each keyed `<path>#NNNN`; without it such files are dropped as huge.
   */
  readonly chunkBytes?: number;
  /** Prose that is general English rather than technical writing (held out and reported as its own slice). */
  readonly genre?: 'english';
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

// ---------------------------------------------------------------------------------------------------------------
// v2 (issue 10): five times the data. Appended after the v1 list, so the v1 sources keep winning their duplicate
// ties and every v1 held-out file stays held out (the split is a hash of the key, never of the list).

const PY_SKIP = [/\/(tests?|testing|_vendor|vendor|third_party|_vendored)\//, /\/conftest\.py$/];
/** A Python package from Debian (`python3-*`): its modules under dist-packages. */
function debPy(pkg: string, version: string, license: string, capMB: number, exclude: readonly RegExp[] = []): SourceSpec {
  return {
    id: `debian/${pkg}`, registry: 'debian', package: pkg, version, license, members: ['./usr/lib/python3/dist-packages/*'],
    include: [/^usr\/lib\/python3\/dist-packages\/.*\.pyi?$/], exclude: [...PY_SKIP, ...exclude], capBytes: capMB * MB,
  };
}
/** Go sources from Debian's `golang-*-dev` (GOPATH layout under /usr/share/gocode). */
function debGo(pkg: string, version: string, license: string, capMB: number): SourceSpec {
  return {
    id: `debian/${pkg}`, registry: 'debian', package: pkg, version, license, members: ['./usr/share/gocode/src/*'],
    include: [/^usr\/share\/gocode\/src\/.*\.go$/], exclude: [/\/(testdata|vendor|third_party)\//, /_test\.go$/, /\.pb(\.gw)?\.go$/, /zz_generated/], capBytes: capMB * MB,
  };
}
/** A Rust crate from Debian's `librust-*-dev` (the cargo registry layout), with its README as prose. */
function debRust(pkg: string, version: string, license: string, capMB: number): SourceSpec {
  return {
    id: `debian/${pkg}`, registry: 'debian', package: pkg, version, license, members: ['./usr/share/cargo/registry/*'],
    include: [/^usr\/share\/cargo\/registry\/[^/]+\/.*\.rs$/, /^usr\/share\/cargo\/registry\/[^/]+\/README\.md$/], exclude: [/\/(tests|benches|testdata)\//], capBytes: capMB * MB,
  };
}
/** C or C++ headers from a Debian `-dev` package. */
function debHeaders(pkg: string, version: string, license: string, dir: string, lang: 'c' | 'cpp', capMB: number, exclude: readonly RegExp[] = []): SourceSpec {
  const re = new RegExp(`^usr/include/${dir.replace(/[.+]/g, '\\$&')}.*\\.(h|hh|hpp|hxx|ipp|inl|tcc)$`);
  return { id: `debian/${pkg}`, registry: 'debian', package: pkg, version, license, members: [`./usr/include/${dir}*`], include: [re], exclude, lang, capBytes: capMB * MB };
}
/** Shell scripts from a Debian package: language by shebang (Perl and Python helpers fall out as unknown). */
function debShell(pkg: string, version: string, license: string, members: readonly string[], include: readonly RegExp[], capMB: number, lang?: 'shell'): SourceSpec {
  return { id: `debian/${pkg}`, registry: 'debian', package: pkg, version, license, members, include, lang, capBytes: capMB * MB };
}
/** Debian documentation: HTML (converted to text) or other prose formats. */
function debDoc(pkg: string, version: string, license: string, members: readonly string[], include: readonly RegExp[], capMB: number, extra: Partial<SourceSpec> = {}): SourceSpec {
  return { id: `debian/${pkg}`, registry: 'debian', package: pkg, version, license, members, include, capBytes: capMB * MB, ...extra };
}

const JS_CODE = [/\.(ts|tsx|mts|cts|js|mjs|cjs|jsx)$/];
/** An npm package's own code (whatever folder it ships it in) and its README/docs. */
function npmCode(pkg: string, version: string, capMB: number, exclude: readonly RegExp[] = []): SourceSpec {
  return npm(pkg, version, JS_CODE, capMB * MB, [/(^|\/)(node_modules|umd|bundles?|browser|vendor)\//, /\.(bundle|umd|prod|production)\.(js|cjs|mjs)$/, /(^|\/)(locale|locales|i18n)\//, ...exclude]);
}

function V2_SOURCES(): SourceSpec[] {
  return [
    // ---- Code: Python (Debian python3-*)
    debPy('python3-django', '3:3.2.25-0+deb12u7', 'BSD-3-Clause', 4, [/\/locale\//, /\/migrations\//]),
    debPy('python3-sympy', '1.11.1-1', 'BSD-3-Clause', 4),
    debPy('python3-numpy', '1:1.24.2-1+deb12u1', 'BSD-3-Clause', 3),
    debPy('python3-pandas', '1.5.3+dfsg-2', 'BSD-3-Clause', 5),
    debPy('python3-sqlalchemy', '1.4.46+ds1-1', 'MIT', 3),
    debPy('python3-matplotlib', '3.6.3-1+b1', 'PSF-2.0-like (matplotlib licence)', 3),
    debPy('python3-twisted', '22.4.0-4+deb12u1', 'MIT', 4),
    debPy('python3-networkx', '2.8.8-1', 'BSD-3-Clause', 2),
    debPy('python3-scipy', '1.10.1-2', 'BSD-3-Clause', 4),
    debPy('python3-sklearn', '1.2.1+dfsg-1', 'BSD-3-Clause', 3),
    debPy('python3-astropy', '5.2.1-2+deb12u1', 'BSD-3-Clause', 3),
    debPy('python3-nltk', '3.8-1', 'Apache-2.0', 2),
    debPy('python3-pygments', '2.14.0+dfsg-1', 'BSD-2-Clause', 2),
    debPy('ansible-core', '2.14.18-0+deb12u2', 'GPL-3.0-or-later', 3),
    debPy('python3-pip', '23.0.1+dfsg-1', 'MIT', 1.5),
    debPy('python3-setuptools', '66.1.1-1+deb12u2', 'MIT', 1.5),
    debPy('python3-mypy', '1.0.1-1', 'MIT', 3),
    debPy('python3-jedi', '0.18.2-1', 'MIT (bundled typeshed: Apache-2.0)', 2, [/\/django-stubs\//]),
    debPy('python3-docutils', '0.19+dfsg-6', 'public-domain, BSD-2-Clause, PSF-2.0, GPL-3.0-or-later (per file)', 1.2),
    debPy('python3-sphinx', '5.3.0-4', 'BSD-2-Clause', 1.5, [/\/locale\//]),
    debPy('python3-tornado', '6.2.0-3+deb12u4', 'Apache-2.0', 1.2),
    debPy('python3-hypothesis', '6.67.1-1', 'MPL-2.0', 1.2),
    debPy('python3-celery', '5.2.6-5', 'BSD-3-Clause', 1.2),
    debPy('pylint', '2.16.2-2', 'GPL-2.0-or-later', 1.2),
    debPy('python3-astroid', '2.14.2-1', 'LGPL-2.1-or-later', 1),
    debPy('python3-pytest', '7.2.1-2', 'MIT', 1),
    debPy('python3-aiohttp', '3.8.4-1+deb12u2', 'Apache-2.0', 0.8),
    debPy('python3-werkzeug', '2.2.2-3+deb12u1', 'BSD-3-Clause', 0.8),
    debPy('python3-jinja2', '3.1.2-1+deb12u3', 'BSD-3-Clause', 0.6),
    debPy('python3-flask', '2.2.2-3', 'BSD-3-Clause', 0.5),
    debPy('python3-click', '8.1.3-2', 'BSD-3-Clause', 0.4),
    debPy('python3-requests', '2.28.1+dfsg-1', 'Apache-2.0', 0.3),
    debPy('python3-urllib3', '1.26.12-1+deb12u4', 'MIT', 0.5),
    debPy('python3-httpx', '0.23.3-1', 'BSD-3-Clause', 0.4),
    debPy('python3-attr', '22.2.0-1', 'MIT', 0.3),
    debPy('python3-dateutil', '2.8.2-2', 'BSD-3-Clause OR Apache-2.0', 0.4),
    debPy('python3-pydantic', '1.10.4-1+deb12u1', 'MIT', 0.6),
    debPy('python3-fastapi', '0.92.0-1', 'MIT', 0.3),
    debPy('python3-openpyxl', '3.0.9-1', 'MIT', 0.8),
    debPy('python3-paramiko', '2.12.0-2', 'LGPL-2.1-or-later', 0.8),
    debPy('python3-cryptography', '38.0.4-3+deb12u1', 'Apache-2.0 OR BSD-3-Clause', 0.7),
    debPy('python3-psutil', '5.9.4-1+b1', 'BSD-3-Clause', 0.8),
    debPy('python3-parso', '0.8.3-1', 'MIT', 0.4),
    debPy('python3-botocore', '1.29.27+repack-1', 'Apache-2.0', 1),
    debPy('python3-boto3', '1.26.27+dfsg-1', 'Apache-2.0', 0.3),
    debPy('python3-bs4', '4.11.2-2', 'MIT', 0.5),
    debPy('python3-lxml', '4.9.2-1+deb12u1', 'BSD-3-Clause', 0.3),
    debPy('python3-yaml', '6.0-3+b2', 'MIT', 0.3),
    // ---- Code: Go (Debian golang-*-dev)
    debGo('golang-golang-x-tools-dev', '1:0.5.0+ds-1', 'BSD-3-Clause', 4),
    debGo('golang-golang-x-net-dev', '1:0.7.0+dfsg-1', 'BSD-3-Clause', 3),
    debGo('golang-golang-x-sys-dev', '0.3.0-1', 'BSD-3-Clause', 1.5),
    debGo('golang-golang-x-crypto-dev', '1:0.4.0-1', 'BSD-3-Clause', 2),
    debGo('golang-golang-x-text-dev', '0.7.0-1', 'BSD-3-Clause', 1.5),
    debGo('golang-google-grpc-dev', '1.33.3-2', 'Apache-2.0', 2.5),
    debGo('golang-github-docker-docker-dev', '20.10.24+dfsg1-1+deb12u1', 'Apache-2.0', 4),
    debGo('golang-github-rclone-rclone-dev', '1.60.1+dfsg-2', 'MIT', 4),
    debGo('golang-github-syncthing-syncthing-dev', '1.19.2~ds1-1', 'MPL-2.0', 3),
    debGo('golang-github-vmware-govmomi-dev', '0.24.2-3', 'Apache-2.0', 2),
    debGo('golang-github-influxdb-influxdb-dev', '1.6.7~rc0-1', 'MIT', 3),
    debGo('golang-mongodb-mongo-driver-dev', '1.8.4+ds1-3', 'Apache-2.0', 2),
    debGo('golang-github-cloudflare-circl-dev', '1.3.1-2', 'BSD-3-Clause', 1.5),
    debGo('golang-github-klauspost-compress-dev', '1.15.12+ds1-3', 'BSD-3-Clause', 1),
    debGo('golang-github-minio-minio-go-v7-dev', '7.0.46-1', 'Apache-2.0', 1),
    debGo('golang-github-go-git-go-git-dev', '5.4.2-3', 'Apache-2.0', 1.5),
    debGo('golang-github-gogo-protobuf-dev', '1.3.2-3', 'BSD-3-Clause', 1.5),
    debGo('golang-github-prometheus-client-golang-dev', '1.14.0-3', 'Apache-2.0', 0.8),
    debGo('golang-github-miekg-dns-dev', '1.1.50-2', 'BSD-3-Clause', 0.8),
    debGo('golang-github-spf13-cobra-dev', '1.6.1-1', 'Apache-2.0', 0.4),
    debGo('golang-github-spf13-viper-dev', '1.10.1-1', 'MIT', 0.2),
    debGo('golang-github-gin-gonic-gin-dev', '1.8.1-1', 'MIT', 0.5),
    debGo('golang-github-sirupsen-logrus-dev', '1.9.0-1', 'MIT', 0.2),
    debGo('golang-github-stretchr-testify-dev', '1.8.1-1', 'MIT', 0.6),
    debGo('golang-github-gorilla-mux-dev', '1.8.0-1', 'BSD-3-Clause', 0.2),
    debGo('golang-github-urfave-cli-dev', '1.22.9-2', 'MIT', 0.3),
    debGo('golang-github-google-go-cmp-dev', '0.5.9-1', 'BSD-3-Clause', 0.4),
    // ---- Code: Rust (Debian librust-*-dev)
    ...([
      ['tokio', '1.24.2-1', 'MIT', 3], ['syn', '1.0.107-1', 'MIT OR Apache-2.0', 2], ['regex', '1.7.1-1', 'MIT OR Apache-2.0', 1],
      ['regex-syntax', '0.6.27-1', 'MIT OR Apache-2.0', 1.5], ['serde', '1.0.152-2', 'MIT OR Apache-2.0', 0.6], ['serde-json', '1.0.87-1', 'MIT OR Apache-2.0', 0.7],
      ['clap', '4.0.32-1', 'MIT OR Apache-2.0', 1], ['rand', '0.8.5-1', 'MIT OR Apache-2.0', 0.4], ['hyper', '0.14.19-1', 'MIT', 0.9],
      ['futures-util', '0.3.21-1', 'MIT OR Apache-2.0', 0.9], ['nom', '7.1.1-1', 'MIT', 0.7], ['cargo', '0.66.0-1', 'MIT OR Apache-2.0', 4],
      ['rustls', '0.20.8-4', 'Apache-2.0 OR MIT OR ISC', 1.2], ['gimli', '0.27.0-1', 'Apache-2.0 OR MIT', 1.5], ['petgraph', '0.6.2-1', 'MIT OR Apache-2.0', 0.8],
      ['csv', '1.1.6-1', 'Unlicense OR MIT', 0.5], ['idna', '0.3.0-1', 'MIT OR Apache-2.0', 0.3], ['pyo3', '0.17.3-1', 'Apache-2.0', 1.4],
      ['bat', '0.22.1-4', 'MIT OR Apache-2.0', 0.4], ['sequoia-openpgp', '1.12.0-2', 'LGPL-2.0-or-later', 3], ['crossbeam-channel', '0.5.6-1', 'MIT OR Apache-2.0', 0.5],
      ['rayon', '1.6.1-1', 'MIT OR Apache-2.0', 0.8], ['rayon-core', '1.10.1-1', 'MIT OR Apache-2.0', 0.3], ['chrono', '0.4.23-2', 'MIT OR Apache-2.0', 1],
      ['log', '0.4.17-3', 'MIT OR Apache-2.0', 0.2], ['anyhow', '1.0.69-1', 'MIT OR Apache-2.0', 0.2], ['itertools', '0.10.3-1', 'MIT OR Apache-2.0', 0.5],
      ['url', '2.3.1-1', 'MIT OR Apache-2.0', 0.3], ['bytes', '1.2.1-1', 'MIT', 0.3], ['h2', '0.3.13-2', 'MIT', 0.8], ['time', '0.3.9-1+deb12u1', 'MIT OR Apache-2.0', 0.5],
      ['object', '0.30.0-1', 'Apache-2.0 OR MIT', 1.5], ['proc-macro2', '1.0.47-1', 'MIT OR Apache-2.0', 0.3], ['quote', '1.0.21-1', 'MIT OR Apache-2.0', 0.2],
      ['hashbrown', '0.12.3-1', 'MIT OR Apache-2.0', 0.6], ['indexmap', '1.9.2-1', 'Apache-2.0 OR MIT', 0.3], ['smallvec', '1.9.0-1', 'MIT OR Apache-2.0', 0.2],
      ['tracing', '0.1.37-1', 'MIT', 0.4], ['tracing-subscriber', '0.3.16-2', 'MIT', 1], ['toml', '0.5.11-1', 'MIT OR Apache-2.0', 0.3],
      ['walkdir', '2.3.2-1', 'Unlicense OR MIT', 0.2], ['ignore', '0.4.18-2+b1', 'Unlicense OR MIT', 0.3], ['globset', '0.4.9-1', 'Unlicense OR MIT', 0.2],
      ['memchr', '2.5.0-1', 'Unlicense OR MIT', 0.4], ['aho-corasick', '0.7.19-1', 'Unlicense OR MIT', 0.5], ['num-bigint', '0.4.3-2', 'MIT OR Apache-2.0', 0.5],
      ['image', '0.24.3-1', 'MIT', 1.2], ['git2', '0.16.0-1', 'MIT OR Apache-2.0', 1], ['zbus', '1.9.2-4', 'MIT', 0.3],
    ] as const).map(([crate, version, license, cap]) => debRust(`librust-${crate}-dev`, version, license, cap)),
    // ---- Code: C and C++
    {
      id: 'debian/linux-source-6.1', registry: 'debian', package: 'linux-source-6.1', version: '6.1.192-3', license: 'GPL-2.0-only',
      members: ['./usr/src/linux-source-6.1.tar.xz'],
      nested: {
        path: 'usr/src/linux-source-6.1.tar.xz',
        members: ['linux-source-6.1/kernel/*', 'linux-source-6.1/mm/*', 'linux-source-6.1/fs/*', 'linux-source-6.1/net/ipv4/*', 'linux-source-6.1/net/core/*',
          'linux-source-6.1/lib/*', 'linux-source-6.1/include/linux/*', 'linux-source-6.1/block/*', 'linux-source-6.1/ipc/*', 'linux-source-6.1/security/*',
          'linux-source-6.1/crypto/*', 'linux-source-6.1/drivers/net/ethernet/intel/*', 'linux-source-6.1/drivers/usb/core/*', 'linux-source-6.1/drivers/char/*',
          'linux-source-6.1/drivers/base/*', 'linux-source-6.1/sound/core/*', 'linux-source-6.1/arch/x86/kernel/*', 'linux-source-6.1/tools/perf/util/*',
          'linux-source-6.1/scripts/*'],
      },
      include: [/\.(c|h)$/, /^linux-source-6\.1\/scripts\/.*\.sh$/], capBytes: 18 * MB,
    },
    debHeaders('libboost1.74-dev', '1.74.0+ds1-21', 'BSL-1.0', 'boost/', 'cpp', 10),
    debHeaders('llvm-14-dev', '1:14.0.6-12', 'Apache-2.0 WITH LLVM-exception', 'llvm-14/', 'cpp', 6),
    debHeaders('qtbase5-dev', '5.15.8+dfsg-11+deb12u3', 'LGPL-3.0-only OR GPL-2.0-only', 'x86_64-linux-gnu/qt5/', 'cpp', 4),
    debHeaders('libopencv-core-dev', '4.6.0+dfsg-12', 'Apache-2.0', 'opencv4/', 'cpp', 2),
    debHeaders('libabsl-dev', '20220623.1-1+deb12u2', 'Apache-2.0', 'absl/', 'cpp', 2),
    debHeaders('libprotobuf-dev', '3.21.12-3+deb12u1', 'BSD-3-Clause', 'google/protobuf/', 'cpp', 1.5),
    debHeaders('nlohmann-json3-dev', '3.11.2-2', 'MIT', 'nlohmann/', 'cpp', 1),
    debHeaders('libfmt-dev', '9.1.0+ds1-2', 'MIT', 'fmt/', 'cpp', 0.5),
    debHeaders('libspdlog-dev', '1:1.10.0+ds-0.4', 'MIT', 'spdlog/', 'cpp', 0.3),
    debHeaders('libgtest-dev', '1.12.1-0.2', 'BSD-3-Clause', 'gtest/', 'cpp', 0.5),
    debHeaders('libglib2.0-dev', '2.74.6-2+deb12u9', 'LGPL-2.1-or-later', 'glib-2.0/', 'c', 2),
    debHeaders('libgtk-3-dev', '3.24.38-2~deb12u3', 'LGPL-2.1-or-later', 'gtk-3.0/', 'c', 2),
    debHeaders('libsdl2-dev', '2.26.5+dfsg-1', 'Zlib', 'SDL2/', 'c', 1.5),
    debHeaders('libssl-dev', '3.0.22-1~deb12u2', 'Apache-2.0', 'openssl/', 'c', 1),
    debHeaders('libcurl4-openssl-dev', '7.88.1-10+deb12u15', 'curl', 'x86_64-linux-gnu/curl/', 'c', 0.3),
    debHeaders('libsqlite3-dev', '3.40.1-2+deb12u2', 'public-domain', 'sqlite3', 'c', 0.7),
    debHeaders('libpython3.11-dev', '3.11.2-6+deb12u9', 'PSF-2.0', 'python3.11/', 'c', 0.8),
    debHeaders('libsystemd-dev', '252.39-1~deb12u2', 'LGPL-2.1-or-later', 'systemd/', 'c', 0.3),
    debHeaders('libx11-dev', '2:1.8.4-2+deb12u2', 'X11 (MIT-style)', 'X11/', 'c', 0.3),
    debHeaders('libgstreamer1.0-dev', '1.22.0-2+deb12u1', 'LGPL-2.0-or-later', 'gstreamer-1.0/', 'c', 1),
    debHeaders('zlib1g-dev', '1:1.2.13.dfsg-1', 'Zlib', 'z', 'c', 0.2),
    // ---- Code: shell
    debShell('xdg-utils', '1.1.3-4.1', 'MIT', ['./usr/bin/*'], [/^usr\/bin\/xdg-/], 0.4, 'shell'),
    debShell('debootstrap', '1.0.128+nmu2+deb12u2', 'MIT', ['./usr/sbin/*', './usr/share/debootstrap/*'], [/^usr\/sbin\/debootstrap$/, /^usr\/share\/debootstrap\/(functions|scripts\/)/], 0.3, 'shell'),
    debShell('dkms', '3.0.10-8+deb12u1', 'GPL-2.0-or-later', ['./usr/sbin/*', './usr/lib/dkms/*'], [/^usr\/sbin\/dkms$/, /^usr\/lib\/dkms\//], 0.2),
    debShell('live-build', '1:20230502', 'GPL-3.0-or-later', ['./usr/lib/live/*', './usr/share/live/*', './usr/bin/*'], [/^usr\/(lib|share)\/live\/build\//, /^usr\/bin\/lb$/], 1, 'shell'),
    debShell('grub-common', '2.06-13+deb12u2', 'GPL-3.0-or-later', ['./etc/grub.d/*', './usr/share/grub/*'], [/^etc\/grub\.d\/\d/, /^usr\/share\/grub\/grub-mkconfig_lib$/], 0.2, 'shell'),
    debShell('devscripts', '2.23.4+deb12u2', 'GPL-2.0-or-later', ['./usr/bin/*'], [/^usr\/bin\//], 0.6),
    debShell('zsh-common', '5.9-4', 'Zsh (MIT-style)', ['./usr/share/zsh/functions/*'], [/^usr\/share\/zsh\/functions\/[^.]+\/[^.]+$/], 1.5, 'shell'),
    // ---- Code: TypeScript / JavaScript (npm; among the most-downloaded packages that ship their source readably)
    npmCode('@babel/types', '8.1.2', 1.5), npmCode('@babel/traverse', '8.1.2', 0.8), npmCode('@babel/generator', '8.1.2', 0.8), npmCode('@babel/core', '8.1.2', 1),
    npmCode('ajv', '8.20.0', 1.2), npmCode('postcss', '8.5.33', 0.6), npmCode('yargs', '18.2.0', 0.4), npmCode('commander', '15.1.0', 0.4),
    npmCode('semver', '7.8.6', 0.3), npmCode('ws', '8.23.0', 0.3), npmCode('js-yaml', '5.5.0', 0.5), npmCode('@typescript-eslint/typescript-estree', '8.73.0', 1),
    npmCode('@typescript-eslint/eslint-plugin', '8.73.0', 2), npmCode('pretty-format', '30.5.1', 0.3), npmCode('jest-snapshot', '30.5.2', 0.4),
    npmCode('@types/react', '19.3.0', 1), npmCode('date-fns', '4.4.0', 1.5), npmCode('moment', '2.31.0', 1), npmCode('luxon', '3.7.2', 0.8),
    npmCode('mongoose', '9.12.1', 1.5), npmCode('sequelize', '6.37.8', 1.5), npmCode('knex', '3.3.0', 1.2), npmCode('typeorm', '1.1.1', 2),
    npmCode('socket.io', '4.8.4', 0.4), npmCode('graphql', '17.1.0', 1.5), npmCode('undici', '8.12.4', 1.5), npmCode('fastify', '5.12.8', 1), npmCode('koa', '3.2.1', 0.3),
    npmCode('jquery', '4.0.0', 0.8), npmCode('chart.js', '4.6.1', 1.5), npmCode('@mui/material', '9.5.0', 2.5), npmCode('react-router', '8.5.1', 1),
    npmCode('@tanstack/query-core', '5.108.0', 0.8), npmCode('redux', '5.0.1', 0.3), npmCode('@reduxjs/toolkit', '2.14.0', 1), npmCode('jsdom', '31.0.1', 2),
    npmCode('puppeteer-core', '25.16.0', 2), npmCode('playwright-core', '1.65.1', 2.5), npmCode('mathjs', '15.2.0', 2), npmCode('node-forge', '1.4.3', 1),
    npmCode('bluebird', '3.7.2', 0.6), npmCode('core-js', '3.51.0', 1.5), npmCode('highlight.js', '11.12.0', 1.5), npmCode('@angular/core', '22.2.6', 2.5),
    npmCode('@angular/compiler', '22.2.6', 2), npmCode('vue', '3.5.45', 1), npmCode('@vue/runtime-core', '3.5.45', 1), npmCode('ts-morph', '28.0.0', 1.5),
    npmCode('protobufjs', '8.8.1', 0.8), npmCode('@grpc/grpc-js', '1.14.7', 1.2), npmCode('firebase-admin', '14.5.1', 1.5), npmCode('@aws-sdk/client-s3', '3.1169.0', 1.5),
    npmCode('discord.js', '14.28.1', 1), npmCode('lit', '3.3.3', 0.5), npmCode('@nestjs/core', '12.5.1', 1), npmCode('@nestjs/common', '12.5.1', 1),
    npmCode('svelte', '5.57.3', 2), npmCode('marked', '18.2.1', 0.6), npmCode('markdown-it', '15.0.3', 0.6), npmCode('cheerio', '1.2.0', 0.5),
    npmCode('htmlparser2', '12.0.0', 0.4), npmCode('terser', '5.51.2', 1), npmCode('less', '4.9.1', 1), npmCode('handlebars', '4.7.10', 0.6),
    npmCode('ejs', '7.0.2', 0.2), npmCode('pug', '3.0.4', 0.2), npmCode('yup', '1.7.1', 0.5), npmCode('joi', '18.3.2', 0.8), npmCode('class-validator', '0.15.1', 0.8),
    npmCode('inversify', '8.2.3', 0.4), npmCode('openai', '7.55.0', 2), npmCode('@anthropic-ai/sdk', '1.10.0', 1.5), npmCode('@langchain/core', '1.4.0', 2),
    npmCode('langchain', '1.5.14', 1),
    // ---- Prose: technical documentation (Debian)
    debDoc('python-django-doc', '3:3.2.25-0+deb12u7', 'BSD-3-Clause', ['./usr/share/doc/python-django-doc/html/*'], [/\.html$/], 8, { exclude: [/\/(_modules|_static|_images|genindex|py-modindex|search)/, /\/releases\//] }),
    debDoc('debian-handbook', '11.20220922', 'GPL-2.0-or-later OR CC-BY-SA-3.0', ['./usr/share/doc/debian-handbook/html/en-US/*.html'], [/\.html$/], 6, { exclude: [/\/(Common_Content|images)\//, /\/(index|ix01)\.html$/] }),
    debDoc('debian-reference-en', '2.100', 'GPL-2.0-or-later', ['./usr/share/debian-reference/*'], [/\.en\.html$/], 2.5, { exclude: [/\/index\.en\.html$/] }),
    debDoc('developers-reference', '12.18', 'MIT-style (developers-reference licence)', ['./usr/share/developers-reference/_sources/*'], [/\.rst\.txt$/], 1.5, { lang: 'rst' }),
    debDoc('debian-policy', '4.6.2.0', 'GPL-2.0-or-later', ['./usr/share/doc/debian-policy/*'], [/\.html$/], 2, { chunkBytes: 64 * KB }),
    debDoc('sqlite3-doc', '3.40.1-2+deb12u2', 'public-domain', ['./usr/share/doc/sqlite3/*'], [/\.html$/], 8, { exclude: [/\/(search\.d|images|releaselog|changes)/, /\/(requirements|doc_backlink_crossref|doc_keyword_crossref|doc_target_crossref|syntaxdiagrams|sitemap|keyword_index|toc)\.html$/], chunkBytes: 64 * KB }),
    debDoc('zsh-doc', '5.9-4', 'Zsh (MIT-style)', ['./usr/share/doc/zsh-common/html/*'], [/\.html$/], 3),
    debDoc('bash-doc', '5.2.15-2', 'GFDL-1.3-or-later (no invariant sections)', ['./usr/share/doc/bash/*'], [/\/bashref\.html$/], 1.5, { chunkBytes: 64 * KB, license: 'GFDL-1.3-or-later (no invariant sections)' }),
    debDoc('golang-1.19-doc', '1.19.8-2', 'BSD-3-Clause', ['./usr/share/doc/golang-1.19-doc/*'], [/\.html$/], 1, { chunkBytes: 64 * KB }),
    debDoc('dict-foldoc', '20230119-1', 'GFDL-1.1-or-later', ['./usr/share/dictd/*'], [/foldoc\.dict\.dz$/], 2.5, { lang: 'text', format: 'dict', chunkBytes: 32 * KB }),
    // ---- Prose: general English (public-domain or freely licensed; see models/default/DATA.md)
    debDoc('dict-gcide', '0.48.5+nmu2', 'GPL-2.0-or-later', ['./usr/share/dictd/*'], [/gcide\.dict\.dz$/], 40, { lang: 'text', format: 'dict', chunkBytes: 32 * KB, genre: 'english' }),
    debDoc('wordnet-base', '1:3.0-37', 'WordNet-3.0', ['./usr/share/wordnet/*'], [/\/data\.(noun|verb|adj|adv)$/], 14, { lang: 'text', format: 'wordnet', chunkBytes: 32 * KB, genre: 'english' }),
    debDoc('dict-devil', '1.0-13.1', 'public-domain', ['./usr/share/dictd/*'], [/devil\.dict\.dz$/], 1, { lang: 'text', format: 'dict', chunkBytes: 32 * KB, genre: 'english' }),
    debDoc('jargon-text', '4.4.7-4.1', 'public-domain', ['./usr/share/doc/jargon-text/*'], [/jargon\.txt\.gz$/], 2, { lang: 'text', chunkBytes: 32 * KB, genre: 'english' }),
  ];
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
    capBytes: 8 * MB,
  },
  // ---- Code: Go, Rust, Java
  {
    id: 'debian/golang-1.19-src', registry: 'debian', package: 'golang-1.19-src', version: '1.19.8-2', license: 'BSD-3-Clause',
    members: ['./usr/share/go-1.19/src/*'], include: [/^usr\/share\/go-1\.19\/src\/.*\.go$/], exclude: [/\/(testdata|vendor)\//],
    capBytes: 15 * MB,
  },
  {
    id: 'debian/rust-src', registry: 'debian', package: 'rust-src', version: '1.63.0+dfsg1-2', license: 'MIT OR Apache-2.0',
    members: ['./usr/src/rustc-1.63.0/library/*'], include: [/^usr\/src\/rustc-1\.63\.0\/library\/.*\.rs$/], exclude: [/\/stdarch\//, /\/tests?\//],
    capBytes: 10 * MB,
  },
  {
    id: 'debian/openjdk-17-source', registry: 'debian', package: 'openjdk-17-source', version: '17.0.21.1+2-1~deb12u1',
    members: ['./usr/lib/jvm/openjdk-17/lib/src.zip'],
    nested: {
      path: 'usr/lib/jvm/openjdk-17/lib/src.zip',
      members: ['java.base/java/lang/*', 'java.base/java/util/*', 'java.base/java/io/*', 'java.base/java/nio/*', 'java.base/java/net/*', 'java.base/java/time/*',
        'java.base/java/math/*', 'java.base/java/text/*', 'java.net.http/*', 'java.sql/java/sql/*', 'java.logging/*',
        // v2: more of the JDK (Swing/AWT, XML, the compiler API and javac, HTTP server, security, management)
        'java.base/java/security/*', 'java.base/javax/*', 'java.base/jdk/internal/util/*', 'java.desktop/javax/swing/*', 'java.desktop/java/awt/*', 'java.xml/*',
        'java.compiler/*', 'jdk.compiler/com/sun/tools/javac/*', 'jdk.httpserver/*', 'java.management/*', 'java.naming/*', 'java.sql/javax/*', 'jdk.jshell/*'],
    },
    include: [/\.java$/], capBytes: 20 * MB,
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
    capBytes: 6 * MB,
  },
  {
    id: 'debian/libstdc++-12-dev', registry: 'debian', package: 'libstdc++-12-dev', version: '12.2.0-14+deb12u1', license: 'GPL-3.0-or-later WITH GCC-exception-3.1',
    members: ['./usr/include/c++/12/*'], include: [/^usr\/include\/c\+\+\/12\//], lang: 'cpp', capBytes: 4 * MB,
  },
  {
    id: 'debian/libeigen3-dev', registry: 'debian', package: 'libeigen3-dev', version: '3.4.0-4', license: 'MPL-2.0',
    members: ['./usr/include/eigen3/*'], include: [/^usr\/include\/eigen3\/(Eigen|unsupported\/Eigen)\//], lang: 'cpp', capBytes: 2 * MB,
  },
  {
    id: 'debian/bash-completion', registry: 'debian', package: 'bash-completion', version: '1:2.11-6', license: 'GPL-2.0-or-later',
    members: ['./usr/share/bash-completion/*'], include: [/^usr\/share\/bash-completion\/(completions\/|bash_completion$)/], lang: 'shell', capBytes: 2 * MB,
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
    members: ['./usr/share/doc/python3.11/html/_sources/*'], include: [/\.rst\.txt(\.gz)?$/], lang: 'rst', capBytes: 10 * MB,
  },
  {
    id: 'debian/linux-doc-6.1', registry: 'debian', package: 'linux-doc-6.1', version: '6.1.192-2',
    members: ['./usr/share/doc/linux-doc-6.1/Documentation/*'], include: [/\.rst(\.gz)?$/], exclude: [/\/translations\//, /\/devicetree\/bindings\//, /\/ABI\//],
    lang: 'rst', capBytes: 15 * MB, license: 'GPL-2.0-only (some files GPL-2.0 OR CC-BY-4.0)',
  },
  {
    id: 'debian/rust-doc', registry: 'debian', package: 'rust-doc', version: '1.63.0+dfsg1-2', license: 'MIT OR Apache-2.0',
    members: ['./usr/share/doc/rust-doc/html/book/*', './usr/share/doc/rust-doc/html/reference/*', './usr/share/doc/rust-doc/html/nomicon/*',
      './usr/share/doc/rust-doc/html/rust-by-example/*', './usr/share/doc/rust-doc/html/edition-guide/*', './usr/share/doc/rust-doc/html/rustc/*', './usr/share/doc/rust-doc/html/embedded-book/*'],
    include: [/\.html(\.gz)?$/], exclude: [/\/(print|toc|404|index)\.html(\.gz)?$/, /\/(first|second)-edition\//, /\/2018-edition\//],
    capBytes: 10 * MB,
  },
  {
    id: 'debian/postgresql-doc-15', registry: 'debian', package: 'postgresql-doc-15', version: '15.20-0+deb12u1', license: 'PostgreSQL',
    members: ['./usr/share/doc/postgresql-doc-15/html/*'], include: [/\.html(\.gz)?$/], exclude: [/\/release-\d/], capBytes: 10 * MB,
  },
  {
    id: 'debian/perl-doc', registry: 'debian', package: 'perl-doc', version: '5.36.0-7+deb12u4', license: 'Artistic-1.0-Perl OR GPL-1.0-or-later',
    members: ['./usr/share/perl/5.36.0/pod/*'], include: [/\.pod(\.gz)?$/], exclude: [/\/perl5\d+delta\.pod(\.gz)?$/], lang: 'pod', capBytes: 6 * MB,
  },
  {
    id: 'debian/manpages', registry: 'debian', package: 'manpages', version: '6.03-2', license: 'Linux-man-pages-copyleft and other free licences (per page)',
    members: ['./usr/share/man/man*'], include: [/^usr\/share\/man\/man\d\/[^/]+\.gz$/], lang: 'manpage', format: 'man', capBytes: 4 * MB,
  },
  {
    id: 'debian/manpages-dev', registry: 'debian', package: 'manpages-dev', version: '6.03-2', license: 'Linux-man-pages-copyleft and other free licences (per page)',
    members: ['./usr/share/man/man*'], include: [/^usr\/share\/man\/man\d\/[^/]+\.gz$/], lang: 'manpage', format: 'man', capBytes: 4 * MB,
  },
  {
    id: 'debian/git-doc', registry: 'debian', package: 'git-doc', version: '1:2.39.5-0+deb12u3', license: 'GPL-2.0-only',
    members: ['./usr/share/doc/git-doc/*'], include: [/\.txt(\.gz)?$/], exclude: [/\/RelNotes\//], lang: 'asciidoc', capBytes: 3 * MB,
  },
  {
    id: 'debian/nodejs-doc', registry: 'debian', package: 'nodejs-doc', version: '18.20.4+dfsg-1~deb12u3', license: 'MIT',
    members: ['./usr/share/doc/nodejs/api/*'], include: [/\.md\.gz$/], exclude: [/\/all\.md\.gz$/], lang: 'markdown', capBytes: 4 * MB,
  },
  ...V2_SOURCES(),
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

