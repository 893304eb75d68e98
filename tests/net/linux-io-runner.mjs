#!/usr/bin/env node
// Boots the default guest with one `--net` and one `--share` device, the way `banquise run`
// would once it wires buildNetSlots/buildShareSlots, with the console on stdin/stdout.
// Usage: node tests/net/linux-io-runner.mjs KERNEL INITRD NET_OPTION SHARE_OPTION
import { readFileSync } from 'node:fs';
import { runPvSession } from '../../dist/platform/node/pv-session.js';
import { buildNetSlots, buildShareSlots, parseNetOption, parseShareOption } from '../../dist/platform/node/net-options.js';

const [kernel, initrd, netOpt, shareOpt] = process.argv.slice(2);
const slots = [...buildNetSlots([parseNetOption(netOpt)]), ...buildShareSlots([parseShareOption(shareOpt)])];
const info = await runPvSession({
  kernel: readFileSync(kernel),
  initrd: readFileSync(initrd),
  bootargs: 'console=ttyS0',
  ramSizeBytes: 256 << 20,
  vcpus: 1,
  virtio: () => slots,
  streams: { stdin: process.stdin, stdout: process.stdout },
});
process.exit(info.exitCode);
