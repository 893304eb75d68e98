// Text output of the verbs: `list` as `xl list` prints it, `top` as xentop does.
import type { DomainInfo } from '../control/domain-controller.js';
import { STATE_LETTER } from '../control/domain-state.js';

/** xl's six-column state field: the domain's letter in its position, '-' elsewhere. */
export function stateField(state: DomainInfo['state']): string {
  const letters = ['r', 'b', 'p', 's', 'c', 'd'];
  const l = STATE_LETTER[state];
  return letters.map((x) => (x === l ? x : '-')).join('');
}

/** `banquise list`: Name ID Mem VCPUs State Time(s). */
export function formatList(domains: readonly DomainInfo[]): string {
  const lines = [`${'Name'.padEnd(40)}${'ID'.padStart(5)}${'Mem'.padStart(6)}${'VCPUs'.padStart(6)}  State ${'Time(s)'.padStart(10)}`];
  for (const d of domains) {
    lines.push(`${d.name.padEnd(40)}${String(d.id).padStart(5)}${String(d.memory).padStart(6)}${String(d.vcpus).padStart(6)}  ${stateField(d.state)}${d.cpu_time.toFixed(1).padStart(11)}`);
  }
  return lines.join('\n') + '\n';
}

/** One sample of `top`: the domains and when they were read. */
export interface TopSample {
  readonly atMs: number;
  readonly domains: readonly DomainInfo[];
}

function bytes(n: number): string {
  if (n < 1024) return `${n}B`;
  if (n < 1 << 20) return `${(n / 1024).toFixed(1)}K`;
  if (n < 1 << 30) return `${(n / (1 << 20)).toFixed(1)}M`;
  return `${(n / (1 << 30)).toFixed(2)}G`;
}

/** `banquise top`: per-domain CPU %, guest MIPS (since `prev`), memory, disk bytes, network frames. */
export function formatTop(prev: TopSample | undefined, cur: TopSample): string {
  const dt = prev === undefined ? 0 : (cur.atMs - prev.atMs) / 1000;
  const lines = [
    `${'NAME'.padEnd(20)}${'ID'.padStart(4)} STATE  ${'CPU(sec)'.padStart(9)}${'CPU(%)'.padStart(8)}${'MIPS'.padStart(8)}${'MEM(M)'.padStart(8)}${'MAXMEM(M)'.padStart(10)}${'VCPUS'.padStart(6)}${'BLK_RD'.padStart(9)}${'BLK_WR'.padStart(9)}${'NET_RX'.padStart(8)}${'NET_TX'.padStart(8)}`,
  ];
  for (const d of cur.domains) {
    const p = prev?.domains.find((x) => x.id === d.id);
    const cpu = p !== undefined && dt > 0 ? ((d.cpu_time - p.cpu_time) / dt) * 100 : undefined;
    const mips = p !== undefined && dt > 0 ? (d.instructions - p.instructions) / dt / 1e6 : undefined;
    lines.push(
      `${d.name.slice(0, 19).padEnd(20)}${String(d.id).padStart(4)} ${stateField(d.state)} ${d.cpu_time.toFixed(1).padStart(9)}${(cpu === undefined ? '-' : cpu.toFixed(1)).padStart(8)}${(mips === undefined ? '-' : mips.toFixed(1)).padStart(8)}${String(d.memory).padStart(8)}${String(d.maxmem).padStart(10)}${String(d.vcpus).padStart(6)}${bytes(d.block_read_bytes).padStart(9)}${bytes(d.block_write_bytes).padStart(9)}${String(d.net_rx_frames).padStart(8)}${String(d.net_tx_frames).padStart(8)}`,
    );
  }
  return lines.join('\n') + '\n';
}
