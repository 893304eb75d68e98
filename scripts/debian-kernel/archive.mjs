// Reading a Debian archive the way apt does, without apt: the suite's InRelease is checked with
// gpgv against the host's Debian archive keyring, the Packages index against the SHA256 that the
// signed InRelease lists, and the .deb against the SHA256 that the Packages index lists. Only
// text that gpgv printed as signed is ever parsed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Splits deb822 text (InRelease, Packages) into stanzas: one Map per paragraph, field names as
 * written, continuation lines joined with "\n" (a lone " ." stands for an empty line).
 */
export function parseStanzas(text) {
  const stanzas = [];
  let cur = new Map();
  let last;
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      if (cur.size > 0) stanzas.push(cur);
      cur = new Map();
      last = undefined;
    } else if (line[0] === ' ' || line[0] === '\t') {
      if (last === undefined) throw new Error(`continuation line before any field: ${JSON.stringify(line.slice(0, 80))}`);
      const more = line.trim() === '.' ? '' : line.trim();
      cur.set(last, cur.get(last) === '' ? more : `${cur.get(last)}\n${more}`);
    } else {
      const m = /^([A-Za-z0-9][A-Za-z0-9-]*):[ \t]*(.*)$/.exec(line);
      if (!m) throw new Error(`not a deb822 field: ${JSON.stringify(line.slice(0, 80))}`);
      last = m[1];
      cur.set(last, m[2].trim());
    }
  }
  if (cur.size > 0) stanzas.push(cur);
  return stanzas;
}

const SHA256_RE = /^[0-9a-f]{64}$/;

/**
 * The fields of a (verified) Release text and its SHA256 list as path → {sha256, size}.
 * Checks the codename, that it is not expired (Valid-Until) and not dated in the future.
 */
export function parseRelease(text, { codename, now = new Date() }) {
  const [release] = parseStanzas(text);
  if (!release) throw new Error('empty Release file');
  if (release.get('Codename') !== codename) throw new Error(`Release is for ${release.get('Codename')}, not ${codename}`);
  const date = Date.parse(release.get('Date') ?? '');
  if (!Number.isFinite(date)) throw new Error(`Release has no valid Date: ${release.get('Date')}`);
  // tolerate a host clock up to 10 days behind the archive's, as apt does (Acquire::Max-FutureTime)
  if (date > now.getTime() + 10 * 86_400_000) throw new Error(`Release is dated in the future: ${release.get('Date')}`);
  const validUntil = release.get('Valid-Until');
  if (validUntil !== undefined && !(Date.parse(validUntil) > now.getTime())) throw new Error(`Release expired (Valid-Until: ${validUntil})`);
  const files = new Map();
  for (const line of (release.get('SHA256') ?? '').split('\n')) {
    if (line === '') continue;
    const [hash, size, path, extra] = line.trim().split(/\s+/);
    if (!SHA256_RE.test(hash ?? '') || !/^\d+$/.test(size ?? '') || !path || extra !== undefined) {
      throw new Error(`bad SHA256 line in Release: ${JSON.stringify(line)}`);
    }
    files.set(path, { sha256: hash, size: Number(size) });
  }
  if (files.size === 0) throw new Error('Release lists no SHA256 sums');
  return { fields: release, files, acquireByHash: release.get('Acquire-By-Hash') === 'yes' };
}

/**
 * Checks a clearsigned InRelease with gpgv against `keyring` only (an empty GNUPGHOME, so no
 * default trustedkeys) and returns the signed text and the fingerprints of the good signatures.
 */
export function verifyInRelease(inRelease, keyring) {
  const home = mkdtempSync(join(tmpdir(), 'banquise-gpgv-'));
  try {
    const input = join(home, 'InRelease');
    const output = join(home, 'Release');
    writeFileSync(input, inRelease);
    const r = spawnSync('gpgv', ['--status-fd', '1', '--keyring', keyring, '--output', output, input], {
      encoding: 'utf8', env: { ...process.env, GNUPGHOME: home },
    });
    if (r.error) throw new Error(`gpgv: ${r.error.message} (apt-get install gpgv)`);
    const valid = [...r.stdout.matchAll(/^\[GNUPG:\] VALIDSIG ([0-9A-F]{40}) /gm)].map((m) => m[1]);
    if (r.status !== 0 || valid.length === 0) {
      throw new Error(`InRelease: no good signature from ${keyring} (gpgv exit ${r.status}):\n${r.stderr.trim()}`);
    }
    return { text: readFileSync(output, 'utf8'), signers: valid };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

const PKG_NAME_RE = /^[a-z0-9][a-z0-9+.-]+$/;

/**
 * The kernel package that the metapackage `meta` depends on, from the stanzas of a Packages
 * index: {package, version, filename, size, sha256}. The metapackage names it exactly
 * ("linux-image-X (= V)"), so no version comparison is needed.
 */
export function kernelPackage(stanzas, meta) {
  const metas = stanzas.filter((s) => s.get('Package') === meta);
  if (metas.length !== 1) throw new Error(`the index has ${metas.length} stanzas for ${meta}, expected 1`);
  const dep = (metas[0].get('Depends') ?? '').split(',').map((d) => d.trim())
    .map((d) => /^(linux-image-\S+)\s*\(=\s*([^)\s]+)\)$/.exec(d)).find((m) => m !== null);
  if (!dep) throw new Error(`${meta} depends on no linux-image-X (= V): ${metas[0].get('Depends')}`);
  const [, name, version] = dep;
  const pkg = stanzas.find((s) => s.get('Package') === name && s.get('Version') === version);
  if (!pkg) throw new Error(`${name} ${version} (named by ${meta}) is not in the index`);
  const filename = pkg.get('Filename') ?? '';
  const size = Number(pkg.get('Size'));
  const sha256 = pkg.get('SHA256') ?? '';
  // the file name becomes part of a URL: a plain relative path below pool/
  if (!/^pool\/[A-Za-z0-9+._~/-]+\.deb$/.test(filename) || filename.split('/').includes('..')) throw new Error(`unexpected Filename: ${filename}`);
  if (!Number.isSafeInteger(size) || size <= 0) throw new Error(`unexpected Size: ${pkg.get('Size')}`);
  if (!SHA256_RE.test(sha256)) throw new Error(`unexpected SHA256: ${sha256}`);
  if (!PKG_NAME_RE.test(name)) throw new Error(`unexpected package name: ${name}`);
  return { package: name, version, filename, size, sha256 };
}

/**
 * The URL of an index file listed in Release: by its hash when the archive offers that
 * (Acquire-By-Hash; stays valid while the mirror updates between our requests), else by name.
 */
export function indexUrl(mirror, suite, path, entry, acquireByHash) {
  if (!acquireByHash) return `${mirror}/dists/${suite}/${path}`;
  const dir = path.slice(0, path.lastIndexOf('/'));
  return `${mirror}/dists/${suite}/${dir}/by-hash/SHA256/${entry.sha256}`;
}
