/**
 * The start rate: never more than `perSecond` query starts in any one second (a sliding window), so
 * the dispatcher stays within Athena's StartQueryExecution quota (20 per second, burst 80, by default)
 * even when a fresh dispatcher follows another within the second (at most twice the rate, inside the
 * burst). Times are epoch milliseconds.
 */
export class StartRate {
  /** Start times within the last second, oldest first. */
  private readonly recent: number[] = [];

  constructor(readonly perSecond: number) {}

  /** Starts allowed now. */
  available(nowMs: number): number {
    this.forget(nowMs);
    return Math.max(0, this.perSecond - this.recent.length);
  }

  take(nowMs: number, count = 1): void {
    this.forget(nowMs);
    for (let i = 0; i < count; i++) this.recent.push(nowMs);
  }

  /** How long until the next start is allowed. */
  msUntilNext(nowMs: number): number {
    this.forget(nowMs);
    return this.recent.length < this.perSecond ? 0 : this.recent[0] + 1000 - nowMs;
  }

  private forget(nowMs: number): void {
    while (this.recent.length > 0 && this.recent[0] <= nowMs - 1000) this.recent.shift();
  }
}
