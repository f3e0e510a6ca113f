/**
 * What the simulator models of AWS around the shipped code: how long each hop takes, what each
 * DynamoDB call costs in request units, and Athena's StartQueryExecution API rate. The ports wrap the
 * in-memory adapters the dispatcher and starter run on, so every call the shipped code makes waits its
 * latency on the virtual clock and is metered.
 */
import type { DispatchStore, Ledger, LineEntry, SlotHolder } from '../functions/core/ports';
import type { VirtualClock } from './virtual-clock';

/** Latencies (ms) of one hop. */
export interface Latency {
  /** A message sent to SQS until a Lambda event source hands it to a function. */
  readonly eventSource: number;
  /** One Step Functions Standard state transition (a task's resume after its callback included). */
  readonly stateTransition: number;
  /** One DynamoDB request. */
  readonly dynamodbCall: number;
  /** One Step Functions API call (SendTaskSuccess, StartExecution, StopExecution). */
  readonly stepFunctionsCall: number;
}

/**
 * `typical`: round figures of what these calls take in one region when nothing is throttled;
 * `slow`: several times that, to show which figures depend on the latencies (bench/RESULTS.md).
 */
export const LATENCIES = {
  typical: { eventSource: 50, stateTransition: 40, dynamodbCall: 10, stepFunctionsCall: 30 },
  slow: { eventSource: 500, stateTransition: 200, dynamodbCall: 30, stepFunctionsCall: 150 },
} as const satisfies Record<string, Latency>;
export type LatencyProfile = keyof typeof LATENCIES;

/**
 * Item sizes (bytes) for request units: a line entry carries a Step Functions task token (several
 * hundred characters), a slot holder and a class's wait status a few fields.
 */
const BYTES = { lineEntry: 1300, holder: 300, waitStatus: 300, record: 800 } as const;

/** DynamoDB request units the calls consumed (on demand: 4 KB per read unit, 1 KB per write unit). */
export interface RequestUnits {
  reads: number;
  writes: number;
  /** Requests, whatever their size. */
  calls: number;
}

const readUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / 4096));
const writeUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));

/** The dispatch store with DynamoDB's latency and request units (strongly consistent reads). */
export function meteredDispatchStore(
  store: DispatchStore,
  clock: VirtualClock,
  latency: Latency,
  units: RequestUnits,
): DispatchStore {
  const call = async <T>(work: () => Promise<T>, cost: (result: T) => Partial<RequestUnits>): Promise<T> => {
    await clock.sleep(latency.dynamodbCall);
    const result = await work();
    const c = cost(result);
    units.reads += c.reads ?? 0;
    units.writes += c.writes ?? 0;
    units.calls++;
    return result;
  };
  const lineRead = (entries: readonly LineEntry[]) => ({
    reads: readUnits(entries.length * BYTES.lineEntry),
  });
  return {
    join: (entry) =>
      call(
        () => store.join(entry),
        () => ({ writes: writeUnits(BYTES.lineEntry) }),
      ),
    leave: (key) =>
      call(
        () => store.leave(key),
        () => ({ writes: writeUnits(BYTES.lineEntry) }),
      ),
    heads: (className, limit) => call(() => store.heads(className, limit), lineRead),
    // A Select COUNT query still reads the items it counts.
    ahead: (key, limit) =>
      call(
        () => store.ahead(key, limit),
        (n) => ({ reads: readUnits(n * BYTES.lineEntry) }),
      ),
    hold: (holder) =>
      call(
        () => store.hold(holder),
        () => ({ writes: writeUnits(BYTES.holder) }),
      ),
    free: (queryId, arn) =>
      call(
        () => store.free(queryId, arn),
        () => ({ writes: writeUnits(BYTES.holder) }),
      ),
    holders: () =>
      call(
        () => store.holders(),
        (held: readonly SlotHolder[]) => ({ reads: readUnits(held.length * BYTES.holder) }),
      ),
    waitStatus: () =>
      call(
        () => store.waitStatus(),
        (s) => ({ reads: readUnits(Object.keys(s).length * BYTES.waitStatus) }),
      ),
    setWaitStatus: (className, status) =>
      call(
        () => store.setWaitStatus(className, status),
        () => ({ writes: writeUnits(BYTES.waitStatus) }),
      ),
  };
}

/** The ledger with DynamoDB's latency and request units. */
export function meteredLedger(
  ledger: Ledger,
  clock: VirtualClock,
  latency: Latency,
  units: RequestUnits,
): Ledger {
  const call = async <T>(work: () => Promise<T>, cost: Partial<RequestUnits>): Promise<T> => {
    await clock.sleep(latency.dynamodbCall);
    units.reads += cost.reads ?? 0;
    units.writes += cost.writes ?? 0;
    units.calls++;
    return work();
  };
  return {
    get: (id) => call(() => ledger.get(id), { reads: readUnits(BYTES.record) }),
    create: (record) => call(() => ledger.create(record), { writes: writeUnits(BYTES.record) }),
    update: (id, patch, onlyIf) =>
      call(() => ledger.update(id, patch, onlyIf), { writes: writeUnits(BYTES.record) }),
  };
}

/**
 * Athena's StartQueryExecution API rate: a token bucket of 80 refilled at 20 per second (the Athena
 * service quotas page). A call past it is refused with ThrottlingException ("Rate exceeded"), not
 * TooManyRequestsException: a different error, handled differently by each strategy.
 */
export class AthenaApiRate {
  private tokens: number;
  private lastMs = 0;

  constructor(
    private readonly perSecond = 20,
    private readonly burst = 80,
  ) {
    this.tokens = burst;
  }

  /** Takes a token at `nowMs`; false when the call is refused. */
  take(nowMs: number): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((nowMs - this.lastMs) / 1000) * this.perSecond);
    this.lastMs = nowMs;
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }
}
