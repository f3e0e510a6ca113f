import { PRICE_PER_TRANSITION, type QueryOutcome, type SimResult, type StrategyName } from './simulator';

export interface WaitStats {
  readonly count: number;
  /** Seconds; Infinity when that rank never started within the horizon. */
  readonly p50: number;
  readonly p95: number;
  readonly max: number;
}

export interface Figures {
  readonly strategy: StrategyName;
  readonly arrivals: number;
  readonly completed: number;
  /** Ended FAILED (past the redrive cap, parked, or waited past its class's limit): lost unless resubmitted. */
  readonly failed: number;
  /** Of those, ended by the starter's queue-wait limit (`maxQueueWaitMinutes`, QueueWaitExceeded). */
  readonly queueWaitExceeded: number;
  /** Still queued, waiting, deferred, starting or running when the horizon ended. */
  readonly unfinished: number;
  readonly startAttempts: number;
  readonly throttledAttempts: number;
  readonly wastedPerCompleted: number;
  readonly predictableWait: WaitStats;
  readonly exploratoryWait: WaitStats;
  readonly allWait: WaitStats;
  /** First arrival to last completion, seconds. */
  readonly makespan: number;
  readonly peakOwnConcurrent: number;
  readonly peakTotalConcurrent: number;
  readonly peakSlotsHeld: number;
  readonly peakSlotsByClass: Readonly<Record<string, number>>;
  readonly meanOwnActiveWhileBacklogged: number;
  readonly backloggedSeconds: number;
  readonly quota: number;
  readonly capacity: number;
  readonly sfnTransitions: number;
  readonly sfnCostUsd: number;
  readonly executions: number;
  readonly redrives: number;
  readonly slotWaitLooks: number;
  readonly slotItemWrites: number;
  readonly peakWaitingTickets: number;
  /** athena-wlm: newer queries admitted while an older one of their class waited, and those that cost it a look. */
  readonly linePasses: { readonly passes: number; readonly costly: number };
  readonly outsideSubmitted: number;
  readonly outsideRejected: number;
}

/** Nearest-rank percentile; queries that never started count as an infinite wait. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

export function waitStats(queries: readonly QueryOutcome[]): WaitStats {
  const waits = queries
    .map((q) => (q.startedAt === undefined ? Number.POSITIVE_INFINITY : q.startedAt - q.arrivedAt))
    .sort((a, b) => a - b);
  return {
    count: waits.length,
    p50: percentile(waits, 50),
    p95: percentile(waits, 95),
    max: waits.length ? waits[waits.length - 1] : Number.NaN,
  };
}

/**
 * How well a class's first-come line held: `passes` counts pairs (older A, newer B) of one class where B
 * took a slot while A was already waiting in line for one (refused at least once, not yet admitted or
 * given up); `costly` counts those after which A was refused again, i.e. B's slot was one A then missed.
 * The line allows a pass when the class has room for B and every older waiting query (A takes its room
 * at its next look), so passes alone are no fault; a costly pass is. First attempts only.
 */
export function linePasses(queries: readonly QueryOutcome[]): { passes: number; costly: number } {
  let passes = 0;
  let costly = 0;
  const byClass = new Map<string, QueryOutcome[]>();
  for (const q of queries) {
    const list = byClass.get(q.className);
    if (list) list.push(q);
    else byClass.set(q.className, [q]);
  }
  for (const list of byClass.values()) {
    // Ids are arrival order, which is also the line's order (submittedAt, then queryId).
    const sorted = [...list].sort((a, b) => a.id - b.id);
    const waited = sorted.filter((q) => q.lineSince !== undefined);
    for (const b of sorted) {
      const admittedAt = b.admittedAt;
      if (admittedAt === undefined) continue;
      for (const a of waited) {
        if (a.id >= b.id) break;
        const leftLine = a.admittedAt ?? (a.status === 'failed' ? a.finishedAt : undefined) ?? Infinity;
        if ((a.lineSince as number) >= admittedAt || leftLine <= admittedAt) continue;
        passes++;
        if ((a.lastRefusedAt as number) > admittedAt) costly++;
      }
    }
  }
  return { passes, costly };
}

export function figuresOf(result: SimResult): Figures {
  const q = result.queries;
  const completed = q.filter((x) => x.status === 'completed');
  const failed = q.filter((x) => x.status === 'failed').length;
  const firstArrival = q.length ? Math.min(...q.map((x) => x.arrivedAt)) : 0;
  const lastFinish = completed.length ? Math.max(...completed.map((x) => x.finishedAt ?? 0)) : firstArrival;
  return {
    strategy: result.strategy,
    arrivals: q.length,
    completed: completed.length,
    failed,
    queueWaitExceeded: q.filter((x) => x.failureCode === 'QueueWaitExceeded').length,
    unfinished: q.length - completed.length - failed,
    startAttempts: result.startAttempts,
    throttledAttempts: result.throttledAttempts,
    wastedPerCompleted: completed.length ? result.throttledAttempts / completed.length : Number.NaN,
    predictableWait: waitStats(q.filter((x) => x.className === 'predictable')),
    exploratoryWait: waitStats(q.filter((x) => x.className === 'exploratory')),
    allWait: waitStats(q),
    makespan: lastFinish - firstArrival,
    peakOwnConcurrent: result.peakOwnConcurrent,
    peakTotalConcurrent: result.peakTotalConcurrent,
    peakSlotsHeld: result.peakSlotsHeld,
    peakSlotsByClass: result.peakSlotsByClass,
    meanOwnActiveWhileBacklogged: result.meanOwnActiveWhileBacklogged,
    backloggedSeconds: result.backloggedSeconds,
    quota: result.quota,
    capacity: result.capacity,
    sfnTransitions: result.sfnTransitions,
    sfnCostUsd: result.sfnTransitions * PRICE_PER_TRANSITION,
    executions: result.executions,
    redrives: result.redrives,
    slotWaitLooks: result.slotWaitLooks,
    slotItemWrites: result.slotItemWrites,
    peakWaitingTickets: result.peakWaitingTickets,
    linePasses: result.strategy === 'athena-wlm' ? linePasses(q) : { passes: 0, costly: 0 },
    outsideSubmitted: result.outsideSubmitted,
    outsideRejected: result.outsideRejected,
  };
}

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : String(n));

/** Seconds for people: "3.2 s", "412 s", "31.4 min", "2.1 h", "never". */
export function duration(seconds: number): string {
  if (Number.isNaN(seconds)) return 'n/a';
  if (!Number.isFinite(seconds)) return 'never';
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  if (seconds < 600) return `${Math.round(seconds)} s`;
  if (seconds < 3 * 3600) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

export const waits = (w: WaitStats) =>
  w.count === 0 ? 'n/a' : `${duration(w.p50)} / ${duration(w.p95)} / ${duration(w.max)}`;

/** Rows of the per-scenario table: a metric per row, a strategy per column. */
const ROWS: readonly (readonly [string, (f: Figures) => string])[] = [
  ['Queries submitted', (f) => int(f.arrivals)],
  ['Completed within the horizon', (f) => int(f.completed)],
  ['Lost (FAILED: redrive cap, parked or queue-wait limit)', (f) => int(f.failed)],
  [
    'Of which waited past `maxQueueWaitMinutes`',
    (f) => (f.strategy === 'athena-wlm' ? int(f.queueWaitExceeded) : '-'),
  ],
  ['Unfinished at the horizon', (f) => int(f.unfinished)],
  ['StartQueryExecution calls', (f) => int(f.startAttempts)],
  ['Throttled starts (`ThrottlingErrorCount`)', (f) => int(f.throttledAttempts)],
  ['Wasted attempts per completed query', (f) => f.wastedPerCompleted.toFixed(2)],
  ['ETL (predictable) wait p50 / p95 / max', (f) => waits(f.predictableWait)],
  ['Exploratory wait p50 / p95 / max', (f) => waits(f.exploratoryWait)],
  ['All classes wait p50 / p95 / max', (f) => waits(f.allWait)],
  ['Makespan (first arrival to last completion)', (f) => duration(f.makespan)],
  ['Peak own concurrent queries / quota', (f) => `${f.peakOwnConcurrent} / ${f.quota}`],
  ['Peak account concurrent (own + outside) / quota', (f) => `${f.peakTotalConcurrent} / ${f.quota}`],
  [
    'Mean own queries running while some wait to start',
    (f) =>
      f.backloggedSeconds > 0
        ? `${f.meanOwnActiveWhileBacklogged.toFixed(1)} (over ${duration(f.backloggedSeconds)})`
        : 'nobody waited',
  ],
  [
    'Peak slots held / capacity (quota - headroom)',
    (f) => (f.strategy === 'athena-wlm' ? `${f.peakSlotsHeld} / ${f.capacity}` : 'no admission'),
  ],
  [
    'Slot-wait looks (starter Lambda runs)',
    (f) => (f.strategy === 'athena-wlm' ? int(f.slotWaitLooks) : '-'),
  ],
  [
    'Newer query admitted while an older one of its class waited / the older then refused again',
    (f) => (f.strategy === 'athena-wlm' ? `${int(f.linePasses.passes)} / ${int(f.linePasses.costly)}` : '-'),
  ],
  [
    'Slot-item writes by acquires / longest line (waiting tickets)',
    (f) => (f.strategy === 'athena-wlm' ? `${int(f.slotItemWrites)} / ${int(f.peakWaitingTickets)}` : '-'),
  ],
  ['Redrives (`RestartQueryCount`)', (f) => int(f.redrives)],
  [
    'Step Functions executions / transitions',
    (f) =>
      f.strategy === 'reference-sample' ? 'none (Lambda)' : `${int(f.executions)} / ${int(f.sfnTransitions)}`,
  ],
  [
    'Step Functions cost ($0.025 / 1,000)',
    (f) => (f.strategy === 'reference-sample' ? '-' : `$${f.sfnCostUsd.toFixed(4)}`),
  ],
  [
    'Console queries rejected / submitted',
    (f) => (f.outsideSubmitted ? `${int(f.outsideRejected)} / ${int(f.outsideSubmitted)}` : '-'),
  ],
];

export function table(figures: readonly Figures[]): string {
  const header = `| Metric | ${figures.map((f) => `\`${f.strategy}\``).join(' | ')} |`;
  const rule = `|---|${figures.map(() => '---:').join('|')}|`;
  const rows = ROWS.map(([label, cell]) => `| ${label} | ${figures.map(cell).join(' | ')} |`);
  return [header, rule, ...rows].join('\n');
}

/** "412 s -> 3 s (137x better)": lower is better for every figure compared here. */
export function comparison(before: number, after: number, format: (n: number) => string): string {
  const arrow = `${format(before)} -> ${format(after)}`;
  if (Number.isNaN(before) || Number.isNaN(after)) return `${arrow}`;
  if (before === after) return `${arrow} (same)`;
  if (!Number.isFinite(before)) return `${arrow} (from never to done)`;
  if (!Number.isFinite(after)) return `${arrow} (worse: some never started)`;
  if (after === 0) return `${arrow} (eliminated)`;
  if (before === 0) return `${arrow} (worse: from none)`;
  const ratio = before / after;
  if (ratio > 1 / 1.05 && ratio < 1.05) return `${arrow} (about the same)`;
  const shown = (r: number) => (r >= 10 ? Math.round(r).toLocaleString('en-US') : r.toFixed(1));
  return ratio >= 1 ? `${arrow} (${shown(ratio)}x better)` : `${arrow} (${shown(1 / ratio)}x worse)`;
}

const count = (n: number) => int(n);

/** Key ratios of athena-wlm against the reference sample (and against retry-only for Step Functions). */
export function ratios(figures: readonly Figures[]): string[] {
  const by = (s: StrategyName) => figures.find((f) => f.strategy === s);
  const ref = by('reference-sample');
  const wlm = by('athena-wlm');
  const retry = by('retry-only');
  if (!ref || !wlm) return [];
  const lines = [
    `ETL p95 wait: ${comparison(ref.predictableWait.p95, wlm.predictableWait.p95, duration)}`,
    `ETL max wait: ${comparison(ref.predictableWait.max, wlm.predictableWait.max, duration)}`,
  ];
  if (wlm.exploratoryWait.count > 0) {
    lines.push(
      `Exploratory p95 wait: ${comparison(ref.exploratoryWait.p95, wlm.exploratoryWait.p95, duration)}`,
    );
  }
  lines.push(
    `Throttled starts: ${comparison(ref.throttledAttempts, wlm.throttledAttempts, count)}`,
    `Wasted attempts per completed query: ${comparison(ref.wastedPerCompleted, wlm.wastedPerCompleted, (n) => n.toFixed(2))}`,
    `Makespan: ${comparison(ref.makespan, wlm.makespan, duration)}`,
    `Lost or unfinished: ${comparison(ref.failed + ref.unfinished, wlm.failed + wlm.unfinished, count)}`,
  );
  if (ref.outsideSubmitted > 0) {
    lines.push(`Console queries rejected: ${comparison(ref.outsideRejected, wlm.outsideRejected, count)}`);
  }
  if (retry) {
    lines.push(
      `Step Functions transitions, retry-only -> athena-wlm: ${comparison(retry.sfnTransitions, wlm.sfnTransitions, count)}`,
      `ETL p95 wait, retry-only -> athena-wlm: ${comparison(retry.predictableWait.p95, wlm.predictableWait.p95, duration)}`,
    );
  }
  return lines;
}
