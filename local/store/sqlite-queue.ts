import { randomUUID } from 'node:crypto';
import type { Clock, MessageQueue, ReceivedMessage } from '../../functions/core/ports';
import { type Database, immediate } from './database';

/** SQS's longest visibility timeout and delay, in seconds. */
export const MAX_VISIBILITY_TIMEOUT_SECONDS = 43_200;
export const MAX_DELAY_SECONDS = 900;

/** Like SQS's redrive policy: past `maxReceiveCount` receives, a message moves to the dead-letter queue. */
export interface RedrivePolicy {
  readonly deadLetterQueue: string;
  readonly maxReceiveCount: number;
}

export interface SqliteQueueProps {
  /** Queue name (`queries`, `queries-deferred`, `queries-failed`). */
  readonly name: string;
  /** @default no redrive: a message is received as often as it is not deleted */
  readonly redrivePolicy?: RedrivePolicy;
  /** @default 30 s, SQS's default */
  readonly visibilityTimeoutSeconds?: number;
  /** @default the system clock */
  readonly clock?: Clock;
}

export interface SendOptions {
  /** Seconds before the message can be received (0 to 900). @default 0 */
  readonly delaySeconds?: number;
  readonly attributes?: Readonly<Record<string, string>>;
}

/** A message as `receive` hands it out: the body plus what SQS tells a consumer. */
export interface QueueMessage extends ReceivedMessage {
  readonly messageId: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly sentAt: Date;
  readonly firstReceivedAt: Date;
}

/** Messages in a queue, by where they stand (SQS's three approximate counts). */
export interface QueueStats {
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
}

/** A queue operation SQS would refuse; `name` is SQS's error code. */
export class QueueError extends Error {
  constructor(
    name: 'InvalidParameterValue' | 'ReceiptHandleIsInvalid' | 'MessageNotInflight',
    message: string,
  ) {
    super(message);
    this.name = name;
  }
}

interface MessageRow {
  seq: number;
  message_id: string;
  body: string;
  attributes: string;
  sent_at: number;
  receive_count: number;
  first_received_at: number | null;
}

/**
 * A durable SQS stand-in on SQLite: at-least-once delivery with visibility timeouts, delays, receipt
 * handles that change on every receive (a stale handle can no longer delete or extend the message),
 * and a redrive policy that moves a message to its dead-letter queue on the receive that would pass
 * `maxReceiveCount`. Many instances (and processes) may share one queue name: every operation is one
 * SQLite transaction.
 */
export class SqliteQueue {
  readonly name: string;
  readonly redrivePolicy?: RedrivePolicy;
  readonly visibilityTimeoutSeconds: number;
  private readonly clock: Clock;
  private readonly listeners: (() => void)[] = [];
  private readonly statements;

  constructor(
    private readonly db: Database,
    props: SqliteQueueProps,
  ) {
    if (props.redrivePolicy) {
      if (!Number.isInteger(props.redrivePolicy.maxReceiveCount) || props.redrivePolicy.maxReceiveCount < 1) {
        throw new QueueError(
          'InvalidParameterValue',
          `redrivePolicy.maxReceiveCount of queue ${props.name} must be an integer of at least 1`,
        );
      }
      if (props.redrivePolicy.deadLetterQueue === props.name) {
        throw new QueueError(
          'InvalidParameterValue',
          `queue ${props.name} cannot be its own dead-letter queue`,
        );
      }
    }
    this.name = props.name;
    this.redrivePolicy = props.redrivePolicy;
    this.visibilityTimeoutSeconds = checkSeconds(
      props.visibilityTimeoutSeconds ?? 30,
      MAX_VISIBILITY_TIMEOUT_SECONDS,
      'visibilityTimeoutSeconds',
    );
    this.clock = props.clock ?? (() => new Date());
    this.statements = {
      insert: db.prepare<[string, string, string, string, number, number]>(
        `INSERT INTO queue_messages (queue, message_id, body, attributes, sent_at, visible_at) VALUES (?, ?, ?, ?, ?, ?)`,
      ),
      pick: db.prepare<[string, number, number], MessageRow>(
        `SELECT seq, message_id, body, attributes, sent_at, receive_count, first_received_at
         FROM queue_messages WHERE queue = ? AND visible_at <= ? ORDER BY sent_at, seq LIMIT ?`,
      ),
      take: db.prepare<[number, string, number, number]>(
        `UPDATE queue_messages SET receive_count = receive_count + 1, visible_at = ?, receipt_handle = ?,
           first_received_at = coalesce(first_received_at, ?) WHERE seq = ?`,
      ),
      moveToDeadLetters: db.prepare<[string, number, string, number]>(
        `UPDATE queue_messages SET queue = ?, receive_count = 0, visible_at = ?, receipt_handle = NULL,
           first_received_at = NULL, attributes = json_set(attributes, '$.deadLetterSourceQueue', ?) WHERE seq = ?`,
      ),
      delete: db.prepare<[string, string]>(
        'DELETE FROM queue_messages WHERE queue = ? AND receipt_handle = ?',
      ),
      changeVisibility: db.prepare<[number, string, string, number]>(
        'UPDATE queue_messages SET visible_at = ? WHERE queue = ? AND receipt_handle = ? AND visible_at > ?',
      ),
      stats: db.prepare<
        [number, number, number, string],
        { visible: number | null; inFlight: number | null; delayed: number | null }
      >(
        `SELECT sum(visible_at <= ?) AS visible,
                sum(visible_at > ? AND receive_count > 0) AS inFlight,
                sum(visible_at > ? AND receive_count = 0) AS delayed
         FROM queue_messages WHERE queue = ?`,
      ),
    };
  }

  /** Stores a message; it becomes visible after `delaySeconds`. Returns its message id. */
  send(body: string, options: SendOptions = {}): { readonly messageId: string } {
    if (body.length === 0)
      throw new QueueError('InvalidParameterValue', 'The message body must not be empty.');
    const delay = checkSeconds(options.delaySeconds ?? 0, MAX_DELAY_SECONDS, 'delaySeconds');
    const now = this.clock().getTime();
    const messageId = randomUUID();
    this.statements.insert.run(
      this.name,
      messageId,
      body,
      JSON.stringify(options.attributes ?? {}),
      now,
      now + delay * 1000,
    );
    for (const listener of this.listeners) listener();
    return { messageId };
  }

  /** Calls `listener` after every send through this instance (an event source that wakes on new messages). */
  onSend(listener: () => void): void {
    this.listeners.push(listener);
  }

  /**
   * Takes up to `maxMessages` visible messages, oldest first, and hides them for the visibility timeout.
   * Each gets a new receipt handle and one more receive; one whose receive would pass the redrive
   * policy's `maxReceiveCount` goes to the dead-letter queue instead (as SQS does on receive).
   */
  receive(maxMessages = 1, visibilityTimeoutSeconds = this.visibilityTimeoutSeconds): QueueMessage[] {
    if (!Number.isInteger(maxMessages) || maxMessages < 1 || maxMessages > 10) {
      throw new QueueError(
        'InvalidParameterValue',
        `maxMessages must be an integer from 1 to 10, not ${maxMessages}`,
      );
    }
    const visibility = checkSeconds(
      visibilityTimeoutSeconds,
      MAX_VISIBILITY_TIMEOUT_SECONDS,
      'visibilityTimeoutSeconds',
    );
    const now = this.clock().getTime();
    const { pick, take, moveToDeadLetters } = this.statements;
    return immediate(this.db, () => {
      const received: QueueMessage[] = [];
      while (received.length < maxMessages) {
        const rows = pick.all(this.name, now, maxMessages - received.length);
        if (rows.length === 0) break;
        for (const row of rows) {
          const policy = this.redrivePolicy;
          if (policy && row.receive_count + 1 > policy.maxReceiveCount) {
            moveToDeadLetters.run(policy.deadLetterQueue, now, this.name, row.seq);
            continue;
          }
          const receiptHandle = `${row.message_id}#${randomUUID()}`;
          take.run(now + visibility * 1000, receiptHandle, now, row.seq);
          received.push({
            messageId: row.message_id,
            body: row.body,
            receiptHandle,
            receiveCount: row.receive_count + 1,
            attributes: JSON.parse(row.attributes) as Record<string, string>,
            sentAt: new Date(row.sent_at),
            firstReceivedAt: new Date(row.first_received_at ?? now),
          });
        }
      }
      return received;
    });
  }

  /** Deletes the message of the receipt handle; false when the handle is stale (received again since) or the message is gone. */
  delete(receiptHandle: string): boolean {
    return this.statements.delete.run(this.name, receiptHandle).changes > 0;
  }

  /**
   * Makes an in-flight message visible again after `seconds` from now (0: at once). False when the
   * handle is stale or the message is gone.
   */
  changeVisibility(receiptHandle: string, seconds: number): boolean {
    const timeout = checkSeconds(seconds, MAX_VISIBILITY_TIMEOUT_SECONDS, 'visibilityTimeoutSeconds');
    const now = this.clock().getTime();
    return (
      this.statements.changeVisibility.run(now + timeout * 1000, this.name, receiptHandle, now).changes > 0
    );
  }

  /** Messages not yet deleted: visible, in flight and delayed (all of them are still to be handled). */
  depth(): number {
    const stats = this.stats();
    return stats.visible + stats.inFlight + stats.delayed;
  }

  stats(): QueueStats {
    const now = this.clock().getTime();
    const row = this.statements.stats.get(now, now, now, this.name)!;
    return { visible: row.visible ?? 0, inFlight: row.inFlight ?? 0, delayed: row.delayed ?? 0 };
  }

  /** Deletes every message of the queue (SQS PurgeQueue); returns how many. */
  purge(): number {
    return this.db.prepare('DELETE FROM queue_messages WHERE queue = ?').run(this.name).changes;
  }
}

/**
 * The core `MessageQueue` port on one SQLite queue. A receive hides messages for the given visibility
 * timeout; a delete or visibility change with a stale handle is ignored (the message comes back, and
 * the core's handlers are idempotent).
 */
export function messageQueueOf(
  queue: SqliteQueue,
  options: { readonly visibilityTimeoutSeconds?: number } = {},
): MessageQueue {
  return {
    receive: async (maxMessages) =>
      queue.receive(maxMessages, options.visibilityTimeoutSeconds ?? queue.visibilityTimeoutSeconds),
    send: async (body, attributes) => {
      queue.send(body, { attributes });
    },
    delete: async (receiptHandle) => {
      queue.delete(receiptHandle);
    },
    changeVisibility: async (receiptHandle, seconds) => {
      queue.changeVisibility(receiptHandle, seconds);
    },
  };
}

function checkSeconds(value: number, max: number, what: string): number {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new QueueError(
      'InvalidParameterValue',
      `${what} must be an integer from 0 to ${max} seconds, not ${value}`,
    );
  }
  return value;
}
