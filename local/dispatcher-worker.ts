import { setImmediate } from 'node:timers/promises';
import { type DispatcherDeps, runDispatcher } from '../functions/core/dispatcher';
import type { Wake, WakeEvent } from '../functions/core/wake-event';
import type { SqliteQueue } from './store/sqlite-queue';

export interface DispatcherWorkerOptions {
  /** The wake queue: the local twin of the SQS FIFO queue the dispatcher Lambda reads. */
  readonly queue: SqliteQueue;
  readonly deps: DispatcherDeps;
  /** Events taken per pass, like the Lambda event source's batch size. @default 10 */
  readonly batchSize?: number;
  readonly log?: (message: string, fields?: Record<string, unknown>) => void;
}

/** Pause before a pass after a failed one (its events come back after their visibility timeout too). */
const RETRY_AFTER_MS = 1000;

/**
 * The dispatcher of the local runtime: the same `runDispatcher` core as the Lambda, woken by every send
 * to the wake queue (a submission entering its line, a slot given back, a cancel), one pass at a time
 * and in order, with a pass at start for what a previous process left behind. Nothing polls: when no
 * event comes, it sleeps until one does, or until the start rate lets the next waiting query start.
 */
export class DispatcherWorker {
  private running = false;
  private loop?: Promise<void>;
  private wakeUp?: () => void;
  private pending = true;
  private timer?: NodeJS.Timeout;

  constructor(private readonly options: DispatcherWorkerOptions) {
    options.queue.onSend(() => this.poke());
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Runs a pass as soon as the current one (if any) ends. */
  poke(): void {
    this.pending = true;
    this.wakeUp?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    this.wakeUp?.();
    await this.loop;
  }

  /** One pass now over what the queue holds (tests call this to step the dispatcher). */
  async pass(): Promise<void> {
    const { queue, deps, log, batchSize = 10 } = this.options;
    const messages = queue.receive(batchSize);
    const events = messages.map((m) => parse(m.body));
    const summary = await runDispatcher(events, deps);
    for (const m of messages) queue.delete(m.receiptHandle);
    if (summary.invalid > 0) log?.('wake events dropped (not wake events)', { invalid: summary.invalid });
    // More events wait behind this batch: take them now.
    if (messages.length === batchSize) this.pending = true;
    if (summary.nextPassInMs !== undefined) this.later(summary.nextPassInMs);
    // Events a crashed or failed pass took come back after their visibility timeout, as SQS redelivers.
    else if (queue.stats().inFlight > 0) this.later(queue.visibilityTimeoutSeconds * 1000);
  }

  private async run(): Promise<void> {
    while (this.running) {
      if (!this.pending) {
        await new Promise<void>((resolve) => {
          this.wakeUp = resolve;
        });
        this.wakeUp = undefined;
        continue;
      }
      this.pending = false;
      try {
        await this.pass();
      } catch (error) {
        this.options.log?.('dispatch pass failed', { error: (error as Error).message });
        this.later(RETRY_AFTER_MS);
      }
      // Passes back to back (a backlog of events) leave the event loop its turn between them.
      await setImmediate();
    }
  }

  private later(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.poke(), ms);
    this.timer.unref?.();
  }
}

/** The wake port over the local wake queue: a send wakes the worker at once. */
export function localWake(queue: SqliteQueue): Wake {
  return {
    async send(event: WakeEvent) {
      queue.send(JSON.stringify(event));
    },
  };
}

function parse(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}
