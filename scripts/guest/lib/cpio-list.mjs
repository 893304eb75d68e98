// Builds the input list of the kernel's usr/gen_init_cpio (newc archive writer) from a staging
// directory, so the initramfs is owned by root and holds device nodes without running as root.
import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Lists every entry under `rootDir` (sorted, parents first) as gen_init_cpio lines, owned by 0:0,
 * followed by `extraLines` (e.g. `nod /dev/console 0600 0 0 c 5 1`).
 * @param {string} rootDir
 * @param {string[]} [extraLines]
 * @returns {string}
 */
export function genInitCpioList(rootDir, extraLines = []) {
  const lines = [];
  const walk = (hostDir, archiveDir) => {
    for (const name of readdirSync(hostDir).sort()) {
      if (/\s/.test(name)) throw new Error(`file name with white space cannot go into the initramfs list: ${join(hostDir, name)}`);
      const hostPath = join(hostDir, name);
      const archivePath = `${archiveDir}/${name}`;
      const st = lstatSync(hostPath);
      const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
      if (st.isDirectory()) {
        lines.push(`dir ${archivePath} ${mode} 0 0`);
        walk(hostPath, archivePath);
      } else if (st.isSymbolicLink()) {
        const target = readlinkSync(hostPath);
        if (/\s/.test(target)) throw new Error(`symlink target with white space: ${hostPath}`);
        lines.push(`slink ${archivePath} ${target} 0777 0 0`);
      } else if (st.isFile()) {
        lines.push(`file ${archivePath} ${hostPath} ${mode} 0 0`);
      } else {
        throw new Error(`unsupported file type in the initramfs staging tree: ${hostPath}`);
      }
    }
  };
  walk(rootDir, '');
  return [...lines, ...extraLines].join('\n') + '\n';
}
