// Builds the benchmark's initramfs: the default guest's initramfs followed by a small newc cpio
// that adds /bin/instret (prints the instret CSR) and an /etc/profile that runs it right before
// the first prompt. Linux unpacks concatenated archives in order; later entries replace earlier.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..', '..');

/** Compiles instret.S into a static RV64 Linux executable; undefined if the cross compiler is missing. */
export function buildInstretProgram() {
  const out = join(mkdtempSync(join(tmpdir(), 'banquise-bench-')), 'instret');
  const r = spawnSync('riscv64-linux-gnu-gcc', ['-nostdlib', '-static', '-march=rv64gc', '-mabi=lp64d', '-o', out, join(HERE, 'instret.S')], { encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0) return undefined;
  return new Uint8Array(readFileSync(out));
}

function pad4(n) {
  return (4 - (n % 4)) % 4;
}

/** One newc cpio archive of regular files: [{ name, mode, data }]. */
export function newcArchive(files) {
  const parts = [];
  let ino = 0x4000;
  const entry = (name, mode, data) => {
    const nameBytes = new TextEncoder().encode(name + '\0');
    const fields = [ino++, mode, 0, 0, 1, 0, data.length, 0, 0, 0, 0, nameBytes.length, 0];
    const header = '070701' + fields.map((f) => f.toString(16).padStart(8, '0')).join('');
    parts.push(new TextEncoder().encode(header), nameBytes, new Uint8Array(pad4(110 + nameBytes.length)));
    parts.push(data, new Uint8Array(pad4(data.length)));
  };
  for (const f of files) entry(f.name, f.mode, f.data);
  entry('TRAILER!!!', 0, new Uint8Array(0));
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The default initramfs + the overlay; undefined when /bin/instret cannot be built. */
export function benchInitrd(baseInitrd) {
  const program = buildInstretProgram();
  if (program === undefined) return undefined;
  const profile = readFileSync(join(REPO, 'guest', 'rootfs', 'etc', 'profile'), 'utf8') +
    "\n# bench:boot — instructions executed so far, printed once before the first prompt\n" +
    "[ -e /tmp/.instret-done ] || { : > /tmp/.instret-done; printf 'instret='; /bin/instret; }\n";
  const overlay = newcArchive([
    { name: 'bin/instret', mode: 0o100755, data: program },
    { name: 'etc/profile', mode: 0o100644, data: new TextEncoder().encode(profile) },
  ]);
  const gap = pad4(baseInitrd.length);
  const out = new Uint8Array(baseInitrd.length + gap + overlay.length);
  out.set(baseInitrd, 0);
  out.set(overlay, baseInitrd.length + gap);
  return out;
}
