/**
 * A token bucket for query starts: never more than `perSecond` on average, and never more than
 * `perSecond` at once, so that even a fresh dispatcher right after another stays within Athena's
 * StartQueryExecution quota (20 per second, burst 80, by default). Times are epoch milliseconds.
 */
export class StartRate {
  private tokens: number;
  private atMs: number | undefined;

  constructor(readonly perSecond: number) {
    this.tokens = perSecond;
  }

  /** Whole starts allowed now. */
  available(nowMs: number): number {
    this.refill(nowMs);
    return Math.floor(this.tokens);
  }

  take(nowMs: number, count = 1): void {
    this.refill(nowMs);
    this.tokens = Math.max(0, this.tokens - count);
  }

  /** How long until the next start is allowed. */
  msUntilNext(nowMs: number): number {
    this.refill(nowMs);
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.perSecond) * 1000);
  }

  private refill(nowMs: number): void {
    if (this.atMs !== undefined && nowMs > this.atMs) {
      this.tokens = Math.min(this.perSecond, this.tokens + ((nowMs - this.atMs) / 1000) * this.perSecond);
    }
    this.atMs = Math.max(this.atMs ?? nowMs, nowMs);
  }
}
