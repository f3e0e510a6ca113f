/**
 * Runs a task every `everyMs` (the local stand-in for an EventBridge schedule). Runs never overlap, like
 * a Lambda with reserved concurrency 1; a failed run is reported and the next one goes ahead.
 */
export class PeriodicTask {
  private timer?: NodeJS.Timeout;
  private current?: Promise<void>;

  constructor(
    private readonly task: () => Promise<unknown>,
    private readonly everyMs: number,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.runNow(), this.everyMs);
  }

  /** Runs the task now unless a run is under way; resolves when that run ends. */
  runNow(): Promise<void> {
    this.current ??= this.task()
      .then(() => undefined)
      .catch(this.onError)
      .finally(() => {
        this.current = undefined;
      });
    return this.current;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.current;
  }
}
