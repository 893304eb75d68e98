// What the domain list shows, computed from the API's numbers (no DOM here: unit-tested).
import type { DomainActionName, DomainView } from './api-client.js';

/** What a row's buttons ask for. */
export type RowCommand = DomainActionName | 'destroy' | 'console';

/** CPU % of one domain between two polls: host CPU seconds over wall seconds. */
export function cpuPercent(prev: { cpuTime: number; atMs: number } | undefined, cpuTime: number, atMs: number): number | undefined {
  if (prev === undefined || atMs <= prev.atMs || cpuTime < prev.cpuTime) return undefined;
  return (100 * (cpuTime - prev.cpuTime)) / ((atMs - prev.atMs) / 1000);
}

/** "1:02:03" or "2:03". */
export function formatUptime(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Which commands make sense in a state (the daemon checks again and says why if not). */
export function commandsFor(state: DomainView['state']): RowCommand[] {
  switch (state) {
    case 'running':
    case 'blocked':
      return ['console', 'pause', 'shutdown', 'reboot', 'destroy'];
    case 'paused':
      return ['console', 'unpause', 'destroy'];
    case 'shutdown':
    case 'crashed':
      return ['console', 'destroy'];
    case 'dying':
      return [];
  }
}

