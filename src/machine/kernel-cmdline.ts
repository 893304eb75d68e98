// Reading the kernel command line of a config.

/**
 * The kernel's console device named by a command line: the value of the last `console=`
 * before `--` (the one Linux makes /dev/console), without its options; undefined if none.
 */
export function kernelConsole(cmdline: string): string | undefined {
  let last: string | undefined;
  for (const word of cmdline.trim().split(/\s+/)) {
    if (word === '--') break;
    if (word.startsWith('console=')) last = word.slice(8).split(',')[0];
  }
  return last;
}
