/**
 * One event of an execution's log, in the shape aws-local-stepfunctions dispatches them
 * (`ExecutionStarted`, `StateEntered`, `StateFailed`, `StateRetried`, `StateCaught`, `StateExited`,
 * `ExecutionSucceeded`, `ExecutionFailed`, `ExecutionAborted`, `ExecutionTimeout`), plus the local
 * runtime's `ExecutionRestarted`.
 */
export interface ConsoleHistoryEvent {
  /** The event's sequence number in the stored log, when it has one. */
  readonly id?: number;
  readonly type: string;
  /** Epoch milliseconds, ISO-8601 text or a Date. */
  readonly timestamp: number | string | Date;
  readonly state?: { readonly name: string; readonly type: string };
  readonly Error?: string;
  readonly Cause?: unknown;
  readonly retry?: { readonly attempt?: number };
  readonly catch?: {
    readonly catcher?: { readonly Next?: string; readonly ErrorEquals?: readonly string[] };
  };
  /** Why the runtime ran the execution again (`ExecutionRestarted`, after a crash). */
  readonly reason?: string;
}

/** A row of the event history table, as the Step Functions console lists them. */
export interface HistoryRow {
  /** 1-based, in the order the events happened. */
  readonly id: number;
  readonly type: string;
  readonly state?: string;
  readonly stateType?: string;
  readonly timestamp: string;
  /** Milliseconds since the execution started. */
  readonly elapsedMs: number;
  readonly error?: string;
  readonly cause?: string;
  /** What else the event says: the retry number, or where a caught error went. */
  readonly detail?: string;
}

/** `interrupted`: the runtime stopped (crash) while in the state and ran the execution again from the start. */
export type StepStatus = 'running' | 'succeeded' | 'failed' | 'caught' | 'interrupted';

/** One state the execution passed through, in order. */
export interface PathStep {
  readonly state: string;
  readonly type: string;
  readonly enteredAt: string;
  readonly exitedAt?: string;
  readonly status: StepStatus;
  /** How many times the state was retried (each a `StateRetried`). */
  readonly retries: number;
  /** The error of each failed try that was retried, in order. */
  readonly retriedErrors: readonly string[];
  /** The error that ended the state (caught or not). */
  readonly error?: string;
  readonly cause?: string;
  /** The state a caught error went to. */
  readonly caughtTo?: string;
}

export type ExecutionEnd = 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';

/** The path an execution took and how it ended. */
export interface ExecutionPath {
  readonly steps: readonly PathStep[];
  /** How the execution ended; absent while it runs. */
  readonly end?: ExecutionEnd;
  /** The last state entered. */
  readonly endState?: string;
  readonly error?: string;
  readonly cause?: string;
  /** Retries over all states. */
  readonly totalRetries: number;
  /** Times the runtime ran the execution again from the start after a crash. */
  readonly restarts: number;
}

/** Longest cause text sent to the page: Athena's GetQueryExecution answer fits, a runaway one does not. */
export const MAX_CAUSE_CHARS = 4000;

const END_EVENTS: Readonly<Record<string, ExecutionEnd>> = {
  ExecutionSucceeded: 'SUCCEEDED',
  ExecutionFailed: 'FAILED',
  ExecutionAborted: 'ABORTED',
  ExecutionTimeout: 'TIMED_OUT',
};

/** Epoch milliseconds of a timestamp in any of the accepted forms (NaN when unreadable). */
export function epochMs(value: number | string | Date): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number') return value;
  return Date.parse(value);
}

function isoOf(value: number | string | Date): string {
  const ms = epochMs(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : String(value);
}

/** A cause as text: strings as they are, anything else as JSON, cut to MAX_CAUSE_CHARS. */
export function causeText(cause: unknown): string | undefined {
  if (cause === undefined || cause === null || cause === '') return undefined;
  let text: string;
  if (typeof cause === 'string') text = cause;
  else if (cause instanceof Error) text = cause.message;
  else {
    try {
      text = JSON.stringify(cause);
    } catch {
      text = String(cause);
    }
  }
  return text.length > MAX_CAUSE_CHARS ? `${text.slice(0, MAX_CAUSE_CHARS)}…` : text;
}

/** The event log as table rows: numbered, with time since the start. */
export function historyRows(events: readonly ConsoleHistoryEvent[]): HistoryRow[] {
  const start = events.length > 0 ? epochMs(events[0].timestamp) : Number.NaN;
  let lastFailure: string | undefined;
  return events.map((event, i) => {
    const at = epochMs(event.timestamp);
    let detail: string | undefined;
    if (event.type === 'StateFailed') lastFailure = event.Error;
    if (event.type === 'StateRetried') {
      const attempt = event.retry?.attempt;
      detail = `retry${typeof attempt === 'number' ? ` ${attempt}` : ''}${lastFailure ? ` after ${lastFailure}` : ''}`;
    }
    if (event.type === 'ExecutionRestarted') detail = event.reason ?? 'run again after a restart';
    if (event.type === 'StateCaught') {
      const next = event.catch?.catcher?.Next;
      detail = `caught${lastFailure ? ` ${lastFailure}` : ''}${next ? `, next ${next}` : ''}`;
    }
    const cause = causeText(event.Cause);
    return {
      id: event.id ?? i + 1,
      type: event.type,
      ...(event.state ? { state: event.state.name, stateType: event.state.type } : {}),
      timestamp: isoOf(event.timestamp),
      elapsedMs: Number.isFinite(at) && Number.isFinite(start) ? Math.max(0, at - start) : 0,
      ...(event.Error ? { error: event.Error } : {}),
      ...(cause ? { cause } : {}),
      ...(detail ? { detail } : {}),
    };
  });
}

interface MutableStep {
  state: string;
  type: string;
  enteredAt: string;
  exitedAt?: string;
  status: StepStatus;
  retries: number;
  retriedErrors: string[];
  error?: string;
  cause?: string;
  caughtTo?: string;
  /** The latest failure, not yet known to be retried, caught or fatal. */
  pendingError?: { error?: string; cause?: string };
}

/**
 * The ordered states an execution entered, from its event log: a retried state is one step with a
 * retry count, a caught error marks its step `caught` with where it went, and an uncaught one `failed`.
 */
export function executionPath(events: readonly ConsoleHistoryEvent[]): ExecutionPath {
  const steps: MutableStep[] = [];
  let end: ExecutionEnd | undefined;
  let error: string | undefined;
  let cause: string | undefined;
  let restarts = 0;
  const current = (name: string | undefined) => {
    const last = steps.at(-1);
    return last && (name === undefined || last.state === name) ? last : undefined;
  };
  for (const event of events) {
    const at = isoOf(event.timestamp);
    const name = event.state?.name;
    switch (event.type) {
      case 'StateEntered':
        if (name) {
          steps.push({
            state: name,
            type: event.state?.type ?? 'Task',
            enteredAt: at,
            status: 'running',
            retries: 0,
            retriedErrors: [],
          });
        }
        break;
      case 'StateFailed': {
        const step = current(name);
        if (step) {
          step.pendingError = { error: event.Error, cause: causeText(event.Cause) };
          step.status = 'failed';
        }
        break;
      }
      case 'StateRetried': {
        const step = current(name);
        if (step) {
          step.retries += 1;
          step.retriedErrors.push(step.pendingError?.error ?? 'unknown error');
          step.pendingError = undefined;
          step.status = 'running';
        }
        break;
      }
      case 'StateCaught': {
        const step = current(name);
        if (step) {
          step.status = 'caught';
          step.error = step.pendingError?.error;
          step.cause = step.pendingError?.cause;
          step.pendingError = undefined;
          const next = event.catch?.catcher?.Next;
          if (next) step.caughtTo = next;
        }
        break;
      }
      case 'StateExited': {
        const step = current(name);
        if (step) {
          step.exitedAt = at;
          if (step.status === 'running') step.status = 'succeeded';
        }
        break;
      }
      case 'ExecutionRestarted': {
        restarts += 1;
        const last = steps.at(-1);
        if (last && (last.status === 'running' || last.status === 'failed')) last.status = 'interrupted';
        break;
      }
      default:
        if (Object.hasOwn(END_EVENTS, event.type)) {
          end = END_EVENTS[event.type];
          error = event.Error ?? error;
          cause = causeText(event.Cause) ?? cause;
          const last = steps.at(-1);
          if (last && end !== 'SUCCEEDED' && (last.status === 'running' || last.status === 'failed')) {
            last.status = 'failed';
            last.exitedAt ??= at;
          }
        }
    }
  }
  for (const step of steps) {
    if (step.status === 'failed' && step.pendingError) {
      step.error = step.pendingError.error;
      step.cause = step.pendingError.cause;
    }
  }
  const out: PathStep[] = steps.map(({ pendingError: _, ...step }) => step);
  return {
    steps: out,
    ...(end ? { end } : {}),
    ...(out.length > 0 ? { endState: out[out.length - 1].state } : {}),
    ...(error ? { error } : {}),
    ...(cause ? { cause } : {}),
    totalRetries: out.reduce((sum, s) => sum + s.retries, 0),
    restarts,
  };
}
