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
/** Longest pause after a batch before the next one takes the write lock again, in ms. */
const MAX_GAP_MS = 5;

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
  /** When the next batch may take the write lock (performance.now()). */
  private nextBatchAt = 0;
  private readonly maxBatch: number;
  private readonly lockWaitMs: number;
  private readonly begin;
  private readonly commit;
  private readonly rollback;
  /** Runs a write in a savepoint of the open transaction (better-sqlite3 nests a transaction so). */
  private readonly inSavepoint;

  constructor(
    private readonly db: Database,
    options: GroupCommitOptions = {},
  ) {
    this.maxBatch = options.maxBatch ?? 500;
    this.lockWaitMs = options.lockWaitMs ?? 5000;
    this.begin = db.prepare('BEGIN IMMEDIATE');
    this.commit = db.prepare('COMMIT');
    this.rollback = db.prepare('ROLLBACK');
    this.inSavepoint = db.transaction((write: () => unknown) => write());
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
      // Writes past maxBatch, or asked for while this batch ran.
      if (this.pending.length > 0) this.schedule();
    };
    const wait = Math.max(afterMs ?? 0, this.nextBatchAt - performance.now());
    // The check phase comes right after the poll phase that read this turn's requests.
    if (wait <= 0) setImmediate(flush);
    else setTimeout(flush, wait);
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
    const began = performance.now();
    const batch = this.pending.splice(0, this.maxBatch);
    const outcomes: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    try {
      for (const { write } of batch) {
        try {
          outcomes.push({ ok: true, value: this.inSavepoint(write) });
        } catch (error) {
          outcomes.push({ ok: false, error });
        }
      }
      this.commit.run();
      // The lock is free at least as long as this batch held it (up to MAX_GAP_MS), so that other
      // connections (the back end's) get it under a stream of submissions; meanwhile the next batch grows.
      const now = performance.now();
      const held = now - began;
      this.nextBatchAt = held >= 1 ? now + Math.min(held, MAX_GAP_MS) : 0;
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
