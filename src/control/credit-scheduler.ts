// The credit scheduler's arithmetic (after Xen's credit2), platform-free: every accounting
// period the host's CPU time (host CPUs × period) is divided between domains in proportion to
// their weights, no domain getting more than its vCPUs can use or its cap allows; what a domain
// does not want (idle in wfi) goes to the others. The host side enforces the budgets.

/** Xen's default weight. */
export const DEFAULT_WEIGHT = 256;
/** Weights accepted (as xl sched-credit2). */
export const MIN_WEIGHT = 1;
export const MAX_WEIGHT = 65535;

/** Scheduling parameters of one domain (`sched-credit -d NAME -w W -c CAP`). */
export interface SchedParams {
  /** Relative share when host CPUs are contended (1..65535, default 256). */
  readonly weight: number;
  /** Most CPU time as a percentage of one host core (0 = no cap); holds even on an idle host. */
  readonly cap: number;
}

/** What the allocator knows of one domain for the coming period. */
export interface SchedDemand extends SchedParams {
  readonly id: number;
  readonly vcpus: number;
  /**
   * Milliseconds of CPU the domain would use this period if nothing held it back: the whole
   * limit when it was busy (used its budget) last period, what it used when it idled.
   */
  readonly wantMs: number;
}

/** The largest CPU time (ms per period) a domain may use: its vCPUs, then its cap. */
export function limitMs(d: { vcpus: number; cap: number }, periodMs: number): number {
  const byVcpus = d.vcpus * periodMs;
  return d.cap > 0 ? Math.min(byVcpus, (d.cap / 100) * periodMs) : byVcpus;
}

/**
 * Budgets (ms of CPU for the period) by weighted water-filling: capacity hostCpus × periodMs is
 * shared in proportion to weight among the domains that still want more; a domain that wants
 * less than its share takes what it wants and the rest is shared again. A domain's budget is
 * never below what it wants when there is room, never above limitMs.
 */
export function allocateCredit(domains: readonly SchedDemand[], hostCpus: number, periodMs: number): Map<number, number> {
  const budget = new Map<number, number>();
  let capacity = hostCpus * periodMs;
  let open = domains.map((d) => ({ d, want: Math.min(Math.max(0, d.wantMs), limitMs(d, periodMs)) }));
  for (const o of open) budget.set(o.d.id, 0);
  while (open.length > 0 && capacity > 1e-9) {
    const totalWeight = open.reduce((s, o) => s + o.d.weight, 0);
    const satisfied = open.filter((o) => (capacity * o.d.weight) / totalWeight >= o.want - budget.get(o.d.id)!);
    if (satisfied.length === 0) {
      for (const o of open) budget.set(o.d.id, budget.get(o.d.id)! + (capacity * o.d.weight) / totalWeight);
      capacity = 0;
      break;
    }
    for (const o of satisfied) {
      capacity -= o.want - budget.get(o.d.id)!;
      budget.set(o.d.id, o.want);
    }
    open = open.filter((o) => !satisfied.includes(o));
  }
  return budget;
}

/** The parameters' problem, or undefined when they are valid. */
export function schedParamsProblem(p: Partial<SchedParams>): string | undefined {
  if (p.weight !== undefined && (!Number.isInteger(p.weight) || p.weight < MIN_WEIGHT || p.weight > MAX_WEIGHT)) return `weight must be a whole number from ${MIN_WEIGHT} to ${MAX_WEIGHT}`;
  if (p.cap !== undefined && (!Number.isInteger(p.cap) || p.cap < 0 || p.cap > 6400)) return 'cap must be a whole percentage of one core from 0 (no cap) to 6400';
  return undefined;
}
