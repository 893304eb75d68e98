// The U-Boot of scripts/u-boot.mjs (built by `npm run guest`) is Debian's qemu-riscv64_smode
// U-Boot with exactly the announced changes: its .config differs from the one Debian ships
// (u-boot-qemu's /usr/share/doc/.../config.qemu-riscv64_smode.gz) in CONFIG_NVME_PCI and
// CONFIG_LOCALVERSION only, and its environment tries nvme0 after virtio0. No boot here:
// boot-image.test.mjs boots it. Fails (never skips) when the build is missing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { REPO } from '../support/guest-session.mjs';

const DEBIAN_CONFIG = '/usr/share/doc/u-boot-qemu/configs/config.qemu-riscv64_smode.gz';

/** The setting lines of a .config (`CONFIG_X=v` and `# CONFIG_X is not set`), without the header. */
function settings(text) {
  return new Set(text.split('\n').filter((l) => /^(CONFIG_\w+=|# CONFIG_\w+ is not set$)/.test(l)));
}

test('scripts/u-boot.mjs: the cached U-Boot is Debian\'s config plus CONFIG_NVME_PCI=y, with nvme0 in boot_targets', (t) => {
  const r = spawnSync(process.execPath, [join(REPO, 'scripts', 'u-boot.mjs'), '--status'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const status = JSON.parse(r.stdout);
  assert.ok(status.upToDate, `U-Boot with NVMe is not built (${status.ubootBin}): run \`npm run guest\` (it runs scripts/u-boot.mjs)`);

  const bin = readFileSync(status.ubootBin);
  const manifest = JSON.parse(readFileSync(join(status.dir, 'manifest.json'), 'utf8'));
  assert.equal(manifest.artifacts['u-boot.bin'].sha256, createHash('sha256').update(bin).digest('hex'));
  assert.match(bin.toString('latin1'), /boot_targets=qemu virtio0 nvme0 scsi0 dhcp /);

  assert.ok(existsSync(DEBIAN_CONFIG), `${DEBIAN_CONFIG} missing (apt-get install u-boot-qemu)`);
  const installed = spawnSync('dpkg-query', ['-W', '-f=${Version}', 'u-boot-qemu'], { encoding: 'utf8' }).stdout;
  if (installed !== manifest.source.version) {
    t.skip(`u-boot-qemu ${installed} is installed, the build is of source ${manifest.source.version}: configs not comparable (apt-get install u-boot-qemu)`);
    return;
  }
  const ours = settings(readFileSync(join(status.dir, 'config'), 'utf8'));
  const debian = settings(gunzipSync(readFileSync(DEBIAN_CONFIG)).toString('utf8'));
  const added = [...ours].filter((l) => !debian.has(l));
  const removed = [...debian].filter((l) => !ours.has(l));
  assert.equal(removed.length, 2, `only two of Debian's lines change: ${removed.join(' | ')}`);
  assert.ok(removed.includes('# CONFIG_NVME_PCI is not set'), removed.join(' | '));
  assert.ok(removed.some((l) => l.startsWith('CONFIG_LOCALVERSION=')), removed.join(' | '));
  assert.equal(added.length, 2, `only two lines are new: ${added.join(' | ')}`);
  assert.ok(added.includes('CONFIG_NVME_PCI=y'), added.join(' | '));
  assert.match(added.find((l) => l.startsWith('CONFIG_LOCALVERSION=')) ?? '', /^CONFIG_LOCALVERSION="\+dfsg[^"]*\+banquise\.nvme"$/);
});
