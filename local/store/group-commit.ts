import type { Database } from './database';

interface Pending {
  readonly write: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

export interface GroupCommitOptions {
  /** Writes in one transaction at most; more wait for the next one. @default 500 */
  readonly maxBatch?: number;
  /**
   * How long a batch waits for another connection's write lock, retried on a timer so that the thread
   * goes on serving meanwhile; past it, the batch fails. @default 5000 ms
   */
  readonly lockWaitMs?: number;
}

/** Pause between tries to take a write lock another connection holds, in ms. */
const LOCK_RETRY_MS = 1;

/** SQLite's answer when another connection holds the write lock and the connection does not wait. */
const isBusy = (error: unknown) => (error as { code?: string }).code === 'SQLITE_BUSY';

/**
 * Group commit: writes asked for in the same turn of the event loop run in one SQLite transaction, each
 * in a savepoint of its own, and are answered once that transaction has committed. A write that throws
 * is rolled back alone (its savepoint) and rejects; the others commit. A commit that fails rejects them
 * all, and none of them is stored. Each write stays atomic; the batch only shares the commit, which is
 * most of a small transaction's cost (the WAL pages of the shared indexes are written once per batch).
 *
 * On a connection with `busy_timeout = 0`, a write lock held by another connection is waited for on a
 * timer, not in SQLite's busy handler, which sleeps the whole thread: requests keep being read and
 * join the next batch meanwhile.
 */
export class GroupCommit {
  private pending: Pending[] = [];
  private scheduled = false;
  private lockWaitSince?: number;
  private readonly maxBatch: number;
  private readonly lockWaitMs: number;
  private readonly begin;
  private readonly commit;
  private readonly rollback;

  constructor(
    private readonly db: Database,
    options: GroupCommitOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 500;
    this.lockWaitMs = options.lockWaitMs ?? 5000;
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
  }

  /** Runs `write` in the next group transaction; resolves with its result once that has committed. */
  run<T>(write: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ write, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  private schedule(afterMs?: number): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const flush = () => {
      this.scheduled = false;
      this.flush();
    };
    // The check phase comes right after the poll phase that read this turn's requests.
    if (afterMs === undefined) setImmediate(flush);
    else setTimeout(flush, afterMs);
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    try {
      this.begin.run();
    } catch (error) {
      if (isBusy(error) && !this.waitedTooLong()) {
        this.schedule(LOCK_RETRY_MS);
        return;
      }
      this.lockWaitSince = undefined;
      for (const { reject } of this.pending.splice(0)) reject(error);
      return;
    }
    this.lockWaitSince = undefined;
    const batch = this.pending.splice(0, this.maxBatch);
    if (this.pending.length > 0) this.schedule();
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      for (const { write } of batch) {
        try {
          // Nested in the open transaction, better-sqlite3 makes this a savepoint.
          outcomes.push({ ok: true, value: this.db.transaction(write)() });
        } catch (error) {
          outcomes.push({ ok: false, error });
        }
      }
      this.commit.run();
    } catch (error) {
      if (this.db.inTransaction) this.rollback.run();
      for (const { reject } of batch) reject(error);
      return;
    }
    for (const [i, { resolve, reject }] of batch.entries()) {
      const outcome = outcomes[i];
      if (outcome.ok) resolve(outcome.value);
      else reject(outcome.error);
    }
  }

  private waitedTooLong(): boolean {
    const now = performance.now();
    this.lockWaitSince ??= now;
    return now - this.lockWaitSince >= this.lockWaitMs;
  }
}
