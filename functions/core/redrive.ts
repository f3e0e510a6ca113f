import type { WlmConfig } from '../../contracts/config';
import { classDimension } from '../../contracts/metrics';
import { isTerminal } from '../../contracts/query-status';
import { queryMessageSchema } from '../../contracts/submission';
import type { Clock, Ledger, MessageQueue, Metrics } from './ports';

export interface RedriveDeps {
  readonly config: WlmConfig;
  readonly ledger: Ledger;
  readonly metrics: Metrics;
  readonly clock: Clock;
  readonly deferred: MessageQueue;
  readonly queries: MessageQueue;
  readonly failed: MessageQueue;
}

export interface RedriveSummary {
  readonly redriven: number;
  readonly parked: number;
  readonly dropped: number;
}

/** Name of the message attribute that says why a message was parked in the failed queue. */
export const PARK_REASON_ATTRIBUTE = 'reason';

/**
 * One scheduled run: moves deferred queries back to the `queries` queue, at most
 * `redrive.maxMessagesPerRun` per run so a run stays bounded. A query past `redrive.maxRedrives` is
 * parked in the failed queue and its ledger record says FAILED with the reason. Each message is sent on
 * before it is deleted, so a crash between the two repeats a redrive (which the starter absorbs), never
 * loses one.
 */
export async function redriveDeferred(deps: RedriveDeps): Promise<RedriveSummary> {
  const { maxMessagesPerRun, maxRedrives } = deps.config.redrive;
  let redriven = 0;
  let parked = 0;
  let dropped = 0;
  let seen = 0;
  while (seen < maxMessagesPerRun) {
    const batch = await deps.deferred.receive(Math.min(10, maxMessagesPerRun - seen));
    if (batch.length === 0) break;
    seen += batch.length;
    for (const received of batch) {
      const action = await redriveOne(received.body, maxRedrives, deps);
      if (action.kind === 'redrive') {
        await deps.queries.send(received.body);
        deps.metrics.count('RestartQueryCount', 1, classDimension(action.className));
        redriven++;
      } else if (action.kind === 'park') {
        await deps.failed.send(received.body, { [PARK_REASON_ATTRIBUTE]: action.reason });
        deps.metrics.count('QueryParkedCount');
        parked++;
      } else {
        dropped++;
      }
      await deps.deferred.delete(received.receiptHandle);
    }
  }
  return { redriven, parked, dropped };
}

/**
 * Statuses a deferred query may be re-driven from. RUNNING is one of them: the execution sends the
 * deferred message before it records DEFERRED, so a redrive can see the message first. The attempt check
 * above makes sure the execution of that attempt has ended its work (it sent the message last), and its
 * late RecordDeferred then finds the record no longer RUNNING and leaves it.
 */
const REDRIVABLE = ['DEFERRED', 'QUEUED', 'RUNNING'] as const;

type RedriveAction =
  | { readonly kind: 'redrive'; readonly className: string }
  | { readonly kind: 'park'; readonly reason: string }
  | { readonly kind: 'drop'; readonly reason: string };

async function redriveOne(body: string, maxRedrives: number, deps: RedriveDeps): Promise<RedriveAction> {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { kind: 'park', reason: 'the deferred message is not JSON' };
  }
  const parsed = queryMessageSchema.safeParse(json);
  if (!parsed.success) return { kind: 'park', reason: 'the deferred message is not a valid query message' };
  const { queryId, attempt, className } = parsed.data;
  const record = await deps.ledger.get(queryId);
  if (!record) return { kind: 'park', reason: `no ledger record for deferred query '${queryId}'` };
  if (isTerminal(record.status)) return { kind: 'drop', reason: `query already ${record.status}` };
  if (record.attempts >= attempt) return { kind: 'drop', reason: `attempt ${attempt} was already started` };

  // Attempts are runs: one per redrive, and one per pre-emption (which is not a throttling redrive).
  const redrives = attempt - 1 - (record.preemptions ?? 0);
  const now = deps.clock().toISOString();
  if (redrives > maxRedrives) {
    const reason =
      `Athena rejected the query as over the account's concurrent-query quota on ${redrives} ` +
      `attempts; it was redriven ${maxRedrives} times (redrive.maxRedrives) and then given up. ` +
      'Submit it again later, or raise the quota or lower the load.';
    await deps.ledger.update(
      queryId,
      { status: 'FAILED', reason, error: { code: 'RedriveLimitExceeded', message: reason }, finishedAt: now },
      REDRIVABLE,
    );
    return { kind: 'park', reason };
  }
  const updated = await deps.ledger.update(
    queryId,
    {
      status: 'QUEUED',
      redrives,
      reason: `redriven after throttling (redrive ${redrives} of at most ${maxRedrives})`,
    },
    REDRIVABLE,
  );
  if (!updated) return { kind: 'drop', reason: 'the query moved on (cancelled or started) meanwhile' };
  return { kind: 'redrive', className };
}
