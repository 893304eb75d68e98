import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DomainInfo, SchedInfo } from '../control/domain-controller.js';
import { formatTop } from './domain-table.js';

const dom = (cpu_time: number, instructions: number): DomainInfo => ({
  id: 1, name: 'web1', uuid: 'u', state: 'running', memory: 64, maxmem: 64, vcpus: 1, cpu_time, instructions, boots: 1,
  uptime_s: 10, block_read_bytes: 0, block_write_bytes: 0, net_rx_frames: 0, net_tx_frames: 0,
});
const sched = (cpu_ms: number, wait_ms: number): SchedInfo => ({ id: 1, name: 'web1', weight: 512, cap: 25, cpu_ms, wait_ms });

test('top shows the scheduler figures: CPU used over the interval, weight, cap and the time spent waiting to run', () => {
  const prev = { atMs: 0, domains: [dom(1.0, 1e6)], sched: [sched(1000, 200)] };
  const cur = { atMs: 2000, domains: [dom(1.5, 41e6)], sched: [sched(1500, 1200)] };
  const out = formatTop(prev, cur).split('\n');
  assert.match(out[0]!, /CPU\(sec\)\s+CPU\(%\)\s+MIPS.*WEIGHT\s+CAP\s+WAIT\(%\)$/);
  // 0.5 s of CPU in 2 s = 25 %; 40 M instructions in 2 s = 20 MIPS; waited 1 s of 2 s = 50 %.
  assert.match(out[1]!, /^web1\s+1 r----- \s+1\.5\s+25\.0\s+20\.0\s.*\s512\s+25\s+50\.0$/);
  assert.match(formatTop(undefined, cur).split('\n')[1]!, /\s512\s+25\s+-$/, 'no rate without a previous sample');
});
