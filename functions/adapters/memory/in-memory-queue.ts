import type { Clock, MessageQueue, ReceivedMessage } from '../../core/ports';

interface StoredMessage {
  readonly body: string;
  readonly attributes?: Readonly<Record<string, string>>;
  receives: number;
  /** Epoch ms from which a receive may take it. */
  visibleAt: number;
  /** The handle of its latest receive (a handle from an earlier one no longer deletes it). */
  handle?: string;
}

/**
 * A queue in memory, for the tests of the core and the ports' contract suites: oldest first, a received
 * message hidden for the visibility timeout on the given clock, a new receipt handle per receive.
 */
export class InMemoryQueue implements MessageQueue {
  readonly messages: StoredMessage[] = [];
  private readonly clock: Clock;
  private readonly visibilityTimeoutSeconds: number;
  private nextHandle = 0;

  constructor(options: { readonly clock?: Clock; readonly visibilityTimeoutSeconds?: number } = {}) {
    this.clock = options.clock ?? (() => new Date());
    this.visibilityTimeoutSeconds = options.visibilityTimeoutSeconds ?? 30;
  }

  async receive(maxMessages: number): Promise<readonly ReceivedMessage[]> {
    const now = this.clock().getTime();
    return this.messages
      .filter((m) => m.visibleAt <= now)
      .slice(0, maxMessages)
      .map((m) => {
        m.receives++;
        m.handle = `h${this.nextHandle++}`;
        m.visibleAt = now + this.visibilityTimeoutSeconds * 1000;
        return { body: m.body, receiptHandle: m.handle, receiveCount: m.receives };
      });
  }

  async send(body: string, attributes?: Readonly<Record<string, string>>): Promise<void> {
    this.messages.push({ body, attributes, receives: 0, visibleAt: this.clock().getTime() });
  }

  async delete(receiptHandle: string): Promise<void> {
    const index = this.messages.findIndex((m) => m.handle === receiptHandle);
    if (index >= 0) this.messages.splice(index, 1);
  }

  async changeVisibility(receiptHandle: string, seconds: number): Promise<void> {
    const now = this.clock().getTime();
    const message = this.messages.find((m) => m.handle === receiptHandle && m.visibleAt > now);
    if (message) message.visibleAt = now + seconds * 1000;
  }

  /** The bodies waiting or in flight, parsed. */
  bodies(): unknown[] {
    return this.messages.map((m) => JSON.parse(m.body));
  }
}
