import { setImmediate } from 'node:timers/promises';
import { PARK_REASON_ATTRIBUTE } from '../functions/core/redrive';
import { type StartOutcome, type StartQueryDeps, startQuery } from '../functions/core/start-query';
import type { SqliteQueue } from './store/sqlite-queue';

export interface StarterWorkerOptions {
  readonly queries: SqliteQueue;
  readonly failed: SqliteQueue;
  readonly deps: StartQueryDeps;
  /** Like the Lambda event source's batch size. */
  readonly batchSize?: number;
  /** Pause between polls of an empty queue, in ms. */
  readonly idlePollMs?: number;
  readonly log?: (message: string, fields?: Record<string, unknown>) => void;
}

/**
 * The local twin of the starter Lambda and its SQS event source: receives batches from the `queries`
 * queue and hands every record to the same core `startQuery`. Started and duplicate messages are
 * deleted (the query's execution now waits in its class's line for the dispatcher); a parked one moves
 * to the failed queue with its reason; an error leaves the message to come back after its visibility
 * timeout.
 */
export class StarterWorker {
  private running = false;
  private loop?: Promise<void>;
  private wake?: () => void;

  constructor(private readonly options: StarterWorkerOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Looks at the queue now instead of after the idle pause (called when a message is sent). */
  poke(): void {
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** Handles one batch; returns how many messages it saw. */
  async processBatch(): Promise<number> {
    const { queries, batchSize = 10 } = this.options;
    const batch = queries.receive(batchSize);
    await Promise.all(
      batch.map((message) => this.handle(message.body, message.receiptHandle, message.receiveCount)),
    );
    return batch.length;
  }

  private async run(): Promise<void> {
    const idle = this.options.idlePollMs ?? 200;
    while (this.running) {
      let seen = 0;
      try {
        seen = await this.processBatch();
      } catch (error) {
        this.options.log?.('starter batch failed', { error: (error as Error).message });
      }
      // Queries, cancels and the close wait in the event loop while the backlog is worked through.
      if (seen > 0) await setImmediate();
      else if (this.running) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, idle);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
      }
    }
  }

  private async handle(body: string, receiptHandle: string, receiveCount: number): Promise<void> {
    const { queries, failed, deps, log } = this.options;
    let outcome: StartOutcome;
    try {
      outcome = await startQuery(body, receiveCount, deps);
    } catch (error) {
      log?.('query message will be retried', { error: (error as Error).message, receiveCount });
      return;
    }
    if (outcome.kind === 'parked') {
      failed.send(body, { attributes: { [PARK_REASON_ATTRIBUTE]: outcome.reason } });
      log?.('query message parked', { queryId: outcome.queryId, reason: outcome.reason });
    }
    queries.delete(receiptHandle);
  }
}
