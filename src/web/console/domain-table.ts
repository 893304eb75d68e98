// The live domain list: one row per domain with state, vCPUs, memory, CPU % and uptime, and the
// lifecycle buttons that apply to its state. Built with DOM nodes and textContent only, so a
// domain name or a crash reason can never become markup.
import type { DomainView } from './api-client.js';
import { commandsFor, cpuPercent, formatUptime, type RowCommand } from './domain-format.js';

export type { RowCommand };

/** Renders domains into a <tbody>, remembering CPU time between refreshes for CPU %. */
export class DomainTable {
  private readonly last = new Map<string, { cpuTime: number; atMs: number }>();

  constructor(private readonly body: HTMLTableSectionElement, private readonly onCommand: (d: DomainView, c: RowCommand) => void) {}

  render(domains: readonly DomainView[], atMs: number): void {
    const rows: HTMLTableRowElement[] = [];
    const seen = new Set<string>();
    for (const d of domains) {
      seen.add(d.uuid);
      const pct = cpuPercent(this.last.get(d.uuid), d.cpu_time, atMs);
      this.last.set(d.uuid, { cpuTime: d.cpu_time, atMs });
      const tr = document.createElement('tr');
      tr.dataset['domain'] = d.name;
      tr.dataset['state'] = d.state;
      const cell = (text: string, cls?: string): void => {
        const td = document.createElement('td');
        td.textContent = text;
        if (cls !== undefined) td.className = cls;
        tr.append(td);
      };
      cell(d.name, 'name');
      cell(String(d.id));
      cell(d.state, `state state-${d.state}`);
      if (d.reason !== undefined) {
        const why = document.createElement('div');
        why.className = 'reason';
        why.textContent = d.reason;
        tr.lastElementChild!.append(why);
      }
      cell(String(d.vcpus));
      cell(`${d.memory} MiB`);
      cell(pct === undefined ? '…' : `${pct.toFixed(0)} %`, 'cpu');
      cell(d.uptime_s !== undefined ? formatUptime(d.uptime_s) : '—', 'uptime');
      cell(`${(d.instructions / 1e6).toFixed(0)} M`);
      const actions = document.createElement('td');
      for (const c of commandsFor(d.state)) {
        const b = document.createElement('button');
        b.type = 'button';
        b.textContent = c;
        b.dataset['command'] = c;
        if (c === 'destroy') b.className = 'danger';
        b.addEventListener('click', () => this.onCommand(d, c));
        actions.append(b);
      }
      tr.append(actions);
      rows.push(tr);
    }
    for (const k of [...this.last.keys()]) if (!seen.has(k)) this.last.delete(k);
    this.body.replaceChildren(...rows);
  }
}
