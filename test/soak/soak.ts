/**
 * `npm run soak`: 10,000 queries (SOAK_QUERIES) through the local runtime at an account quota of 10, one in
 * twenty with bad SQL and one in a hundred cancelled, while the local Athena takes only 8 at once (traffic
 * outside athena-wlm), so that StartQuery is throttled, retried, deferred and redriven throughout. Then it
 * checks, and exits 1 on any miss:
 * - every submission ended exactly once: submitted = succeeded + failed + cancelled, nothing else left;
 * - bad SQL FAILED, good SQL SUCCEEDED (unless cancelled, or parked past the redrive cap, which says so);
 * - the seed metrics reconcile with the ledger and with the local Athena's own runs, per class;
 * - memory is flat: the heap and RSS after the drain, against the same after a warm-up's drain.
 * Not in `npm test` (minutes long); prints its figures.
 */

import { workgroupNameOf } from '../../contracts/config';
import { clientRequestToken } from '../../contracts/execution-naming';
import { SeedMetrics } from '../../contracts/metrics';
import { fromLedgerItem } from '../../functions/adapters/ledger-item';
import { LOCAL_TABLES } from '../../local/store/local-names';
import { athenaExecutions, http, runtimeRows, sleep, startTestRuntime } from '../local/e2e/support';

const QUERIES = Number(process.env.SOAK_QUERIES ?? 10_000);
/** Queries run (and drained) before the first memory reading, so that caches and pools have filled. */
const WARMUP = Math.min(500, Math.floor(QUERIES / 10));
/** Submissions not yet ended at most: a steady line, not one backlog of everything. */
const IN_FLIGHT = 200;
const BAD_EVERY = 20;
const CANCEL_EVERY = 100;
const ATHENA_QUOTA = 8;
/** Growth allowed between the warm-up's drain and the last drain. */
const FLAT = { heapMb: 16, rssMb: 96 };

const CONFIG = {
  quota: { activeDmlQueries: 10, headroom: 0 },
  defaultClass: 'etl',
  classes: {
    etl: { guaranteedSlots: 4, maxSlots: 10 },
    reports: { guaranteedSlots: 2, maxSlots: 6 },
    explore: { guaranteedSlots: 0, maxSlots: 3 },
  },
  redrive: { everyMinutes: 1, maxMessagesPerRun: 100, maxRedrives: 10 },
};
const CLASSES = Object.keys(CONFIG.classes);

const mb = (bytes: number) => Math.round(bytes / 2 ** 20);

interface Memory {
  readonly rssMb: number;
  readonly heapMb: number;
}

function memory(): Memory {
  globalThis.gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  return { rssMb: mb(rss), heapMb: mb(heapUsed) };
}

function sqlOf(i: number): { query: string; bad: boolean } {
  if (i % BAD_EVERY === BAD_EVERY - 1)
    return { query: i % 40 < 20 ? `SELEC ${i} AS n` : `SELECT n FROM no_such_table_${i % 7}`, bad: true };
  return { query: `SELECT sum(n) AS total, ${i} AS i FROM UNNEST(sequence(1, 100)) AS t(n)`, bad: false };
}

async function main(): Promise<void> {
  if (!globalThis.gc) throw new Error('run with node --expose-gc (npm run soak does)');
  const t = await startTestRuntime({
    config: CONFIG,
    athenaQuota: ATHENA_QUOTA,
    latency: { queueMs: 150, planningMs: 0 },
    retryPauseMs: 50,
    redriveEveryMs: 1000,
  });
  const failures: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok) failures.push(what);
  };
  try {
    const statusCounts = () =>
      new Map(
        runtimeRows<{ status: string; n: number }>(
          t.dataDir,
          "SELECT json_extract(doc, '$.status') AS status, count(*) AS n FROM documents WHERE table_name = ? GROUP BY status",
          LOCAL_TABLES.ledger,
        ).map((r) => [r.status, r.n]),
      );
    const ended = () => {
      const counts = statusCounts();
      return (counts.get('SUCCEEDED') ?? 0) + (counts.get('FAILED') ?? 0) + (counts.get('CANCELLED') ?? 0);
    };

    const bad = new Set<string>();
    const cancelAnswers = new Map<number, number>();
    let submitted = 0;
    const began = Date.now();
    const before = memory();
    let afterWarmup: Memory | undefined;
    const drain = async (count: number) => {
      while (ended() < count) await sleep(250);
    };

    // Submits in a steady line of at most IN_FLIGHT unfinished, 20 POSTs at a time.
    let next = 0;
    let lastReport = Date.now();
    while (next < QUERIES) {
      if (next === WARMUP && !afterWarmup) {
        await drain(submitted);
        afterWarmup = memory();
      }
      const done = ended();
      const room = Math.min(
        IN_FLIGHT - (submitted - done),
        20,
        QUERIES - next,
        next < WARMUP ? WARMUP - next : 20,
      );
      if (room <= 0) {
        await sleep(100);
        continue;
      }
      const batch = Array.from({ length: room }, (_, k) => next + k);
      next += room;
      await Promise.all(
        batch.map(async (i) => {
          const queryId = `soak-${i}`;
          const { query, bad: isBad } = sqlOf(i);
          const answer = await http('POST', `${t.url}/workgroups/${CLASSES[i % CLASSES.length]}/queries`, {
            queryId,
            query,
          });
          if (answer.status !== 202) throw new Error(`POST ${queryId} answered ${answer.status}`);
          submitted++;
          if (isBad) bad.add(queryId);
          if (i % CANCEL_EVERY === 7) {
            const cancel = await http('DELETE', `${t.url}/queries/${queryId}`);
            cancelAnswers.set(cancel.status, (cancelAnswers.get(cancel.status) ?? 0) + 1);
          }
        }),
      );
      if (Date.now() - lastReport > 30_000) {
        lastReport = Date.now();
        console.log(
          `soak: ${submitted} submitted, ${ended()} ended after ${Math.round((Date.now() - began) / 1000)} s`,
        );
      }
    }
    await drain(submitted);
    const seconds = (Date.now() - began) / 1000;
    // Let the last releases and wake events settle before the dispatcher's state is read.
    await sleep(2000);
    const after = memory();

    // Every submission ended exactly once.
    const counts = statusCounts();
    const [succeeded, failed, cancelled] = ['SUCCEEDED', 'FAILED', 'CANCELLED'].map(
      (s) => counts.get(s) ?? 0,
    );
    check(submitted === QUERIES, `submitted ${submitted} of ${QUERIES}`);
    check(
      submitted === succeeded + failed + cancelled,
      `submitted ${submitted} != succeeded ${succeeded} + failed ${failed} + cancelled ${cancelled}`,
    );
    check(
      [...counts.keys()].every((s) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(s)),
      `statuses left: ${JSON.stringify(Object.fromEntries(counts))}`,
    );

    const records = runtimeRows<{ doc: string }>(
      t.dataDir,
      'SELECT doc FROM documents WHERE table_name = ?',
      LOCAL_TABLES.ledger,
    ).map(
      (r) =>
        // Through the ledger adapter's mapping: the class is stored under its first name, workgroup.
        fromLedgerItem(JSON.parse(r.doc)) as {
          queryId: string;
          className: string;
          status: string;
          attempts: number;
          redrives: number;
          athenaQueryExecutionId?: string;
          error?: { code?: string; message?: string };
          reason?: string;
        },
    );
    const parked = records.filter((r) => r.status === 'FAILED' && !bad.has(r.queryId));
    for (const r of records) {
      if (r.status === 'CANCELLED') continue;
      if (bad.has(r.queryId)) check(r.status === 'FAILED', `bad SQL ${r.queryId} ended ${r.status}`);
      else if (r.status !== 'SUCCEEDED')
        check(
          r.redrives >= CONFIG.redrive.maxRedrives,
          `${r.queryId} FAILED before the redrive cap: ${JSON.stringify(r.error ?? r.reason)}`,
        );
    }

    // The seed metrics against the ledger and the local Athena's own runs, per class and in all.
    const metric = (name: string, className?: string) =>
      runtimeRows<{ n: number | null }>(
        t.dataDir,
        `SELECT sum(sum) AS n FROM metrics WHERE name = ? ${className ? 'AND dimensions = ?' : ''}`,
        name,
        ...(className ? [JSON.stringify({ className })] : []),
      )[0].n ?? 0;
    const runs = athenaExecutions(t.dataDir);
    const tokens = new Set(runs.map((r) => r.clientRequestToken));
    check(tokens.size === runs.length, `${runs.length - tokens.size} Athena runs share a ClientRequestToken`);
    const runsByToken = new Map(runs.map((run) => [run.clientRequestToken, run]));
    for (const r of records.filter((r) => r.athenaQueryExecutionId)) {
      const mine = runsByToken.get(clientRequestToken(r.queryId, r.attempts));
      check(
        mine?.id === r.athenaQueryExecutionId,
        `${r.queryId}: no Athena run of its last attempt's token is the record's`,
      );
    }
    const runsByClass = (className?: string) =>
      runs.filter((run) => !className || run.workGroup === workgroupNameOf(t.runtime.config, className))
        .length;
    const redrives = (className?: string) =>
      records.filter((r) => !className || r.className === className).reduce((n, r) => n + r.redrives, 0);
    for (const className of [undefined, ...CLASSES]) {
      const where = className ?? 'all classes';
      check(
        metric(SeedMetrics.startQueryCount, className) === runsByClass(className),
        `${where}: StartQueryCount ${metric(SeedMetrics.startQueryCount, className)} != ${runsByClass(className)} Athena runs`,
      );
      check(
        metric(SeedMetrics.restartQueryCount, className) === redrives(className),
        `${where}: RestartQueryCount ${metric(SeedMetrics.restartQueryCount, className)} != ${redrives(className)} redrives in the ledger`,
      );
    }
    // Each redrive followed an attempt the throttling retrier gave up on after its refusals (the first
    // call and maxAttempts retries); no attempt is refused more often.
    const refusals = t.runtime.config.throttleRetry.maxAttempts + 1;
    const throttles = metric(SeedMetrics.throttlingErrorCount);
    const attempts = records.reduce((n, r) => n + r.attempts, 0);
    check(
      throttles >= refusals * redrives() && throttles <= refusals * attempts,
      `ThrottlingErrorCount ${throttles} outside [${refusals * redrives()}, ${refusals * attempts}] (${refusals} x redrives, ${refusals} x attempts)`,
    );
    check(throttles > 0, 'no throttling happened: the soak did not inject any');

    // Nothing held, nobody in line, no message left.
    const holders = await t.runtime.dispatch.holders();
    check(holders.length === 0, `${holders.length} slots still held`);
    const queued = runtimeRows<{ queue: string; n: number }>(
      t.dataDir,
      'SELECT queue, count(*) AS n FROM queue_messages GROUP BY queue',
    );
    check(
      queued.every((q) => q.n === 0 || q.queue.includes('failed')),
      `messages left: ${JSON.stringify(queued)}`,
    );

    // Flat memory: the last drain against the warm-up's.
    const warm = afterWarmup ?? before;
    check(
      after.heapMb - warm.heapMb <= FLAT.heapMb,
      `heap grew ${after.heapMb - warm.heapMb} MB after the drain`,
    );
    check(after.rssMb - warm.rssMb <= FLAT.rssMb, `RSS grew ${after.rssMb - warm.rssMb} MB after the drain`);

    const rate = (submitted / seconds).toFixed(1);
    console.log(
      [
        `soak: ${submitted.toLocaleString('en-US')} submitted in ${seconds.toFixed(0)} s (${rate} queries/s), quota 10, Athena takes ${ATHENA_QUOTA}`,
        `  ended: ${succeeded} SUCCEEDED + ${failed} FAILED (${bad.size} bad SQL, ${parked.length} parked past the redrive cap) + ${cancelled} CANCELLED = ${succeeded + failed + cancelled}`,
        `  cancels answered: ${JSON.stringify(Object.fromEntries(cancelAnswers))}`,
        `  StartQueryCount ${metric(SeedMetrics.startQueryCount)} = ${runs.length} Athena runs; RestartQueryCount ${metric(SeedMetrics.restartQueryCount)} = ${redrives()} redrives; ThrottlingErrorCount ${throttles} for ${redrives()} redrives and ${attempts} attempts`,
        `  memory (after GC): start RSS ${before.rssMb} MB heap ${before.heapMb} MB; after the warm-up's ${WARMUP} drained RSS ${warm.rssMb} MB heap ${warm.heapMb} MB; after the drain RSS ${after.rssMb} MB heap ${after.heapMb} MB`,
        failures.length
          ? `FAILED ${failures.length} checks:\n  ${failures.slice(0, 20).join('\n  ')}`
          : 'all checks held',
      ].join('\n'),
    );
  } finally {
    await t.close();
  }
  if (failures.length) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
