import type { RunQueryInput } from '../../contracts/execution-input';
import type { MetricName } from '../../contracts/metrics';
import { InMemoryDispatchStore } from '../../functions/adapters/memory/in-memory-dispatch-store';
import type { ExecutionStarter, Metrics, StartExecutionResult } from '../../functions/core/ports';
import type { Wake, WakeEvent } from '../../functions/core/wake-event';

export { InMemoryLedger } from '../../functions/adapters/memory/in-memory-ledger';
export { InMemoryQueue } from '../../functions/adapters/memory/in-memory-queue';
export { InMemoryDispatchStore };

/** Test doubles for the core's ports: plain maps and arrays that record what the core did. */
/** The wake events sent, in order; with a store, releases free its slots as the dispatcher would. */
export class RecordingWake implements Wake {
  readonly events: WakeEvent[] = [];

  constructor(private readonly store?: InMemoryDispatchStore) {}

  async send(event: WakeEvent) {
    this.events.push(event);
    if (event.type === 'release') await this.store?.free(event.queryId, event.executionArn);
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
