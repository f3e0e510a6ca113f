import { setImmediate } from 'node:timers/promises';
import type { ReceivedMessage } from '../functions/core/ports';
import { handleQueryMessage, type StartQueryDeps } from '../functions/core/start-query';
import { messageQueueOf, type SqliteQueue } from './store/sqlite-queue';

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
 * The local stand-in for the starter Lambda's SQS event source: receives batches from the `queries`
 * queue and hands every message to the same core `handleQueryMessage` as the Lambda, which deletes,
 * parks or retries it on the SQLite queues.
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
    await Promise.all(batch.map((message) => this.handle(message)));
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

  private async handle(message: ReceivedMessage): Promise<void> {
    const { queries, failed, deps, log } = this.options;
    const result = await handleQueryMessage(message, {
      ...deps,
      queries: messageQueueOf(queries),
      failed: messageQueueOf(failed),
    });
    if (result.kind === 'retry') {
      log?.('query message will be retried', {
        error: result.error.message,
        receiveCount: message.receiveCount,
        retryInSeconds: result.retryInSeconds,
      });
    } else if (result.kind === 'parked') {
      log?.('query message parked', { queryId: result.queryId, reason: result.reason });
    }
  }
}
