import { type AdmissionPolicy, usageOf } from '../../functions/core/admission';
import type {
  AcquireResult,
  ExecutionStarter,
  Ledger,
  MessageQueue,
  MetricName,
  Metrics,
  ReceivedMessage,
  SlotHolder,
  SlotLine,
  SlotStore,
  StartExecutionResult,
} from '../../functions/core/ports';
import { conditionOf, type LedgerCondition } from '../../functions/core/ports';
import type { QueryRecord } from '../../functions/core/query-record';
import type { RunQueryInput } from '../../functions/core/run-query-input';
import { admitInLine, applySlotChanges, type WaitingTicket } from '../../functions/core/slot-queue';

/** Test doubles for the core's ports: plain maps and arrays that record what the core did. */
export class InMemoryLedger implements Ledger {
  readonly records = new Map<string, QueryRecord>();

  async get(queryId: string) {
    return this.records.get(queryId);
  }

  async create(record: QueryRecord) {
    const existing = this.records.get(record.queryId);
    if (existing) return { created: false, record: existing };
    this.records.set(record.queryId, record);
    return { created: true, record };
  }

  async update(queryId: string, patch: Partial<QueryRecord>, onlyIf?: LedgerCondition) {
    const existing = this.records.get(queryId);
    const expected = onlyIf && conditionOf(onlyIf);
    if (!existing || (expected && !expected.statuses.includes(existing.status))) return false;
    if (expected?.executionArn && existing.executionArn !== expected.executionArn) return false;
    this.records.set(queryId, { ...existing, ...patch, updatedAt: new Date().toISOString() });
    return true;
  }
}

export class InMemorySlotStore implements SlotStore {
  readonly held = new Map<string, SlotHolder>();
  waiting: readonly WaitingTicket[] = [];

  async acquire(
    queryId: string,
    className: string,
    policy: AdmissionPolicy,
    line: SlotLine = { submittedAt: new Date().toISOString(), ticketTtlMs: 60_000 },
  ): Promise<AcquireResult> {
    const state = { holders: [...this.held.values()], waiting: this.waiting };
    const request = { queryId, className, submittedAt: line.submittedAt };
    const { decision, changes } = admitInLine(state, request, policy, new Date(), line.ticketTtlMs);
    const next = applySlotChanges(state, changes);
    this.waiting = next.waiting;
    if (changes.addHolder) this.held.set(queryId, changes.addHolder);
    return { ...decision, usage: usageOf(next.holders) };
  }

  async release(queryId: string) {
    this.waiting = this.waiting.filter((t) => t.queryId !== queryId);
    return this.held.delete(queryId);
  }

  async holders() {
    return [...this.held.values()];
  }
}

export class RecordingExecutions implements ExecutionStarter {
  readonly started: { name: string; input: RunQueryInput }[] = [];
  /** Names that Step Functions would answer ExecutionAlreadyExists for. */
  readonly closedNames = new Set<string>();

  async start(name: string, input: RunQueryInput): Promise<StartExecutionResult> {
    if (this.closedNames.has(name)) return { status: 'already-exists' };
    const running = this.started.find((s) => s.name === name);
    if (running && JSON.stringify(running.input) !== JSON.stringify(input))
      return { status: 'already-exists' };
    if (!running) this.started.push({ name, input });
    return {
      status: 'started',
      executionArn: `arn:aws:states:us-east-1:123456789012:execution:run-query:${name}`,
    };
  }
}

export class RecordingMetrics implements Metrics {
  readonly counts: { name: string; value: number; dimensions?: Readonly<Record<string, string>> }[] = [];

  count(name: MetricName, value = 1, dimensions?: Readonly<Record<string, string>>) {
    this.counts.push({ name, value, dimensions });
  }

  milliseconds(name: 'QueueWaitTime', value: number, dimensions?: Readonly<Record<string, string>>) {
    this.counts.push({ name, value, dimensions });
  }

  total(name: string): number {
    return this.counts.filter((c) => c.name === name).reduce((sum, c) => sum + c.value, 0);
  }
}

export class InMemoryQueue implements MessageQueue {
  readonly messages: {
    body: string;
    attributes?: Readonly<Record<string, string>>;
    handle: string;
    receives: number;
  }[] = [];
  private nextHandle = 0;

  async receive(maxMessages: number): Promise<readonly ReceivedMessage[]> {
    // Everything received is in flight until deleted; the test decides what a crash leaves behind.
    const visible = this.messages.filter((m) => m.receives === 0).slice(0, maxMessages);
    return visible.map((m) => {
      m.receives++;
      return { body: m.body, receiptHandle: m.handle, receiveCount: m.receives };
    });
  }

  async send(body: string, attributes?: Readonly<Record<string, string>>) {
    this.messages.push({ body, attributes, handle: `h${this.nextHandle++}`, receives: 0 });
  }

  async delete(receiptHandle: string) {
    const index = this.messages.findIndex((m) => m.handle === receiptHandle);
    if (index >= 0) this.messages.splice(index, 1);
  }

  bodies(): unknown[] {
    return this.messages.map((m) => JSON.parse(m.body));
  }
}
