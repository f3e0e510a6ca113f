import type { Clock, ExecutionControl, ExecutionStarter, ExecutionStatus } from '../../functions/core/ports';
import { type Database, immediate } from '../store/database';
import { StepFunctionsError } from './errors';
import {
  type EventLog,
  type ExecutionOutcome,
  LOCAL_ARN_PREFIX,
  RUN_QUERY_STATE_MACHINE_ARN,
  RUN_QUERY_STATE_MACHINE_NAME,
  type RunningExecution,
  type RunQueryRunner,
} from './run-query-runner';

/** The status of an execution this runner has: every status but NOT_FOUND. */
type KnownStatus = Exclude<ExecutionStatus, 'NOT_FOUND'>;

/** DescribeExecution's answer. */
export interface ExecutionDescription {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly status: KnownStatus;
  readonly startDate: Date;
  readonly stopDate?: Date;
  /** JSON text. */
  readonly input: string;
  /** JSON text, for a SUCCEEDED execution. */
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
  /** How many times the execution was run: 1, plus one per restart after a crash. */
  readonly runs: number;
}

export type ExecutionListItem = Pick<
  ExecutionDescription,
  'executionArn' | 'stateMachineArn' | 'name' | 'status' | 'startDate' | 'stopDate'
>;

/** Marks where the runtime started an execution again after a crash (not an AWS event type). */
export interface ExecutionRestartedEvent {
  readonly type: 'ExecutionRestarted';
  readonly timestamp: number;
  readonly reason: string;
}

/** One event of an execution's history: aws-local-stepfunctions' event plus its sequence number. */
export type HistoryEvent = (EventLog | ExecutionRestartedEvent) & { readonly id: number };

export interface LocalStepFunctionsProps {
  readonly db: Database;
  readonly runner: RunQueryRunner;
  /** @default the system clock */
  readonly clock?: Clock;
  /** Called after an execution closed and its status was stored (the local "execution status change" rule). */
  readonly onExecutionClosed?: (execution: ExecutionDescription) => void | Promise<void>;
}

interface ExecutionRow {
  arn: string;
  state_machine_arn: string;
  name: string;
  input: string;
  status: KnownStatus;
  start_date: number;
  stop_date: number | null;
  output: string | null;
  error: string | null;
  cause: string | null;
  runs: number;
}

/** Step Functions' limits on an execution name and input. */
const MAX_NAME_LENGTH = 80;
const MAX_INPUT_BYTES = 262_144;
const INVALID_NAME_CHARS = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\p{Cc}]/u;

/** The ARN of a `run-query` execution. */
export function executionArnOf(name: string): string {
  return `${LOCAL_ARN_PREFIX}:execution:${RUN_QUERY_STATE_MACHINE_NAME}:${name}`;
}

/**
 * A local Step Functions service for `run-query`: StartExecution with Step Functions' name
 * idempotency, DescribeExecution, ListExecutions, GetExecutionHistory and StopExecution. Executions
 * and their event logs live in SQLite. Executions a crashed process left RUNNING are run again from
 * the start with the same name, ARN and input when the service opens: the state machine is idempotent
 * for that (MarkRunning accepts the same execution ARN, Athena's ClientRequestToken returns the same
 * query), so no query runs twice. One runtime process per database.
 */
export class LocalStepFunctions {
  private readonly db: Database;
  private readonly runner: RunQueryRunner;
  private readonly clock: Clock;
  private readonly onExecutionClosed?: LocalStepFunctionsProps['onExecutionClosed'];
  private readonly running = new Map<string, { execution: RunningExecution; done: Promise<void> }>();
  private readonly waiters = new Map<string, ((execution: ExecutionDescription) => void)[]>();
  private closed = false;
  private readonly statements;

  constructor(props: LocalStepFunctionsProps) {
    this.db = props.db;
    this.runner = props.runner;
    this.clock = props.clock ?? (() => new Date());
    this.onExecutionClosed = props.onExecutionClosed;
    const db = props.db;
    this.statements = {
      get: db.prepare<[string], ExecutionRow>('SELECT * FROM executions WHERE arn = ?'),
      insert: db.prepare<[string, string, string, string, number]>(
        `INSERT INTO executions (arn, state_machine_arn, name, input, status, start_date) VALUES (?, ?, ?, ?, 'RUNNING', ?)`,
      ),
      close: db.prepare<[string, number, string | null, string | null, string | null, string]>(
        `UPDATE executions SET status = ?, stop_date = ?, output = ?, error = ?, cause = ? WHERE arn = ? AND status = 'RUNNING'`,
      ),
      interrupted: db.prepare<[], ExecutionRow>(
        `SELECT * FROM executions WHERE status = 'RUNNING' ORDER BY start_date, arn`,
      ),
      restart: db.prepare<[string]>('UPDATE executions SET runs = runs + 1 WHERE arn = ?'),
      nextEventId: db.prepare<[string], { next: number }>(
        'SELECT coalesce(max(id), 0) + 1 AS next FROM execution_events WHERE arn = ?',
      ),
      insertEvent: db.prepare<[string, number, number, string, string]>(
        'INSERT INTO execution_events (arn, id, timestamp, type, event) VALUES (?, ?, ?, ?, ?)',
      ),
      events: db.prepare<[string], { id: number; event: string }>(
        'SELECT id, event FROM execution_events WHERE arn = ? ORDER BY id',
      ),
    };
  }

  /** Opens the service and runs again the executions a previous process left RUNNING. */
  static open(props: LocalStepFunctionsProps): LocalStepFunctions {
    const service = new LocalStepFunctions(props);
    service.resumeInterrupted();
    return service;
  }

  /**
   * Starts an execution. The same name and input while it runs returns the running execution; a name
   * used before (closed, or running with another input) throws `ExecutionAlreadyExists`.
   */
  startExecution(params: { readonly name: string; readonly input?: string }): {
    readonly executionArn: string;
    readonly startDate: Date;
  } {
    this.assertOpen();
    const { name } = params;
    if (name.length < 1 || name.length > MAX_NAME_LENGTH || INVALID_NAME_CHARS.test(name)) {
      throw new StepFunctionsError(
        'InvalidName',
        `Invalid Name: '${name}' (1 to ${MAX_NAME_LENGTH} characters, no whitespace, brackets, wildcards or punctuation such as " # % \\ ^ | ~ \` $ & , ; : /)`,
      );
    }
    const input = params.input ?? '{}';
    if (Buffer.byteLength(input, 'utf8') > MAX_INPUT_BYTES) {
      throw new StepFunctionsError(
        'InvalidExecutionInput',
        `The execution input is larger than ${MAX_INPUT_BYTES} bytes`,
      );
    }
    try {
      JSON.parse(input);
    } catch (error) {
      throw new StepFunctionsError(
        'InvalidExecutionInput',
        `Invalid execution input: ${(error as Error).message}`,
      );
    }
    const executionArn = executionArnOf(name);
    const startDate = this.clock();
    const existing = immediate(this.db, () => {
      const row = this.statements.get.get(executionArn);
      if (!row)
        this.statements.insert.run(
          executionArn,
          RUN_QUERY_STATE_MACHINE_ARN,
          name,
          input,
          startDate.getTime(),
        );
      return row;
    });
    if (existing) {
      if (existing.status === 'RUNNING' && existing.input === input) {
        return { executionArn, startDate: new Date(existing.start_date) };
      }
      throw new StepFunctionsError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    this.launch({ executionArn, name, input, startDate });
    return { executionArn, startDate };
  }

  describeExecution(executionArn: string): ExecutionDescription {
    const row = this.statements.get.get(executionArn);
    if (!row)
      throw new StepFunctionsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return describe(row);
  }

  /** Executions, newest first. */
  listExecutions(
    params: {
      readonly statusFilter?: KnownStatus;
      readonly maxResults?: number;
      readonly nextToken?: string;
    } = {},
  ): {
    readonly executions: ExecutionListItem[];
    readonly nextToken?: string;
  } {
    const limit = Math.min(Math.max(1, Math.floor(params.maxResults ?? 100)), 1000);
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (params.statusFilter) {
      where.push('status = ?');
      args.push(params.statusFilter);
    }
    if (params.nextToken) {
      const token = decodeListToken(params.nextToken);
      where.push('(start_date < ? OR (start_date = ? AND arn < ?))');
      args.push(token.d, token.d, token.a);
    }
    const rows = this.db
      .prepare<(string | number)[], ExecutionRow>(
        `SELECT * FROM executions ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY start_date DESC, arn DESC LIMIT ?`,
      )
      .all(...args, limit + 1);
    const page = rows.slice(0, limit).map(describe);
    const executions = page.map(({ executionArn, stateMachineArn, name, status, startDate, stopDate }) => ({
      executionArn,
      stateMachineArn,
      name,
      status,
      startDate,
      ...(stopDate ? { stopDate } : {}),
    }));
    if (rows.length <= limit) return { executions };
    const last = page[page.length - 1];
    return { executions, nextToken: encodeListToken({ d: last.startDate.getTime(), a: last.executionArn }) };
  }

  /** The execution's event log, oldest first (or newest first with `reverseOrder`). */
  getExecutionHistory(
    executionArn: string,
    params: { readonly reverseOrder?: boolean } = {},
  ): { readonly events: HistoryEvent[] } {
    this.describeExecution(executionArn);
    const events = this.statements.events
      .all(executionArn)
      .map((row) => ({ ...(JSON.parse(row.event) as EventLog | ExecutionRestartedEvent), id: row.id }));
    return { events: params.reverseOrder ? events.reverse() : events };
  }

  /**
   * Stops a running execution: it ends ABORTED with the given error and cause, and its Athena query in
   * flight is stopped. A closed execution is left as it is.
   */
  async stopExecution(
    executionArn: string,
    params: { readonly error?: string; readonly cause?: string } = {},
  ): Promise<{ readonly stopDate: Date }> {
    const before = this.describeExecution(executionArn);
    if (before.status !== 'RUNNING') return { stopDate: before.stopDate ?? this.clock() };
    const stopDate = this.clock();
    // Stored first: were the process to die now, the execution would not be run again on restart.
    this.statements.close.run(
      'ABORTED',
      stopDate.getTime(),
      null,
      params.error ?? null,
      params.cause ?? null,
      executionArn,
    );
    const entry = this.running.get(executionArn);
    if (entry) {
      await entry.execution.stop();
      await entry.done;
    } else {
      this.closedNow(executionArn);
    }
    return { stopDate };
  }

  /** Resolves once the execution is closed, with its description. */
  waitForExecution(executionArn: string): Promise<ExecutionDescription> {
    const current = this.describeExecution(executionArn);
    if (current.status !== 'RUNNING') return Promise.resolve(current);
    return new Promise((resolve) => {
      this.waiters.set(executionArn, [...(this.waiters.get(executionArn) ?? []), resolve]);
    });
  }

  /** Executions running in this process right now. */
  runningExecutions(): string[] {
    return [...this.running.keys()];
  }

  /**
   * Runs again, from the start, every execution left RUNNING (by a process that died). Returns their
   * ARNs. `open` calls it; call it yourself only on a service made with `new`.
   */
  resumeInterrupted(): string[] {
    this.assertOpen();
    const resumed: string[] = [];
    for (const row of this.statements.interrupted.all()) {
      if (this.running.has(row.arn)) continue;
      immediate(this.db, () => {
        this.statements.restart.run(row.arn);
        this.appendEvent(row.arn, {
          type: 'ExecutionRestarted',
          timestamp: this.clock().getTime(),
          reason:
            'The local runtime stopped while this execution ran; it runs again from the start with the same name and input.',
        });
      });
      this.launch({
        executionArn: row.arn,
        name: row.name,
        input: row.input,
        startDate: new Date(row.start_date),
      });
      resumed.push(row.arn);
    }
    return resumed;
  }

  /**
   * Detaches from the running executions, as if the process stopped: their work is abandoned and they
   * stay RUNNING in the database, to run again when the service next opens.
   */
  async close(): Promise<void> {
    this.closed = true;
    const entries = [...this.running.values()];
    for (const entry of entries) entry.execution.abandon();
    await Promise.all(entries.map((entry) => entry.done));
    this.running.clear();
  }

  private launch(execution: { executionArn: string; name: string; input: string; startDate: Date }): void {
    const { executionArn } = execution;
    const running = this.runner.start(execution, (event) => {
      if (!this.closed) this.appendEvent(executionArn, event);
    });
    const done = running.outcome.then(
      (outcome) => this.finish(executionArn, outcome),
      (error: unknown) =>
        this.finish(executionArn, { status: 'FAILED', error: 'States.Runtime', cause: String(error) }),
    );
    this.running.set(executionArn, { execution: running, done });
  }

  private async finish(executionArn: string, outcome: ExecutionOutcome): Promise<void> {
    this.running.delete(executionArn);
    if (this.closed) return;
    const stopDate = this.clock().getTime();
    if (outcome.status === 'SUCCEEDED') {
      this.statements.close.run('SUCCEEDED', stopDate, outcome.output, null, null, executionArn);
    } else if (outcome.status === 'ABORTED') {
      this.statements.close.run('ABORTED', stopDate, null, null, null, executionArn);
    } else {
      this.statements.close.run(outcome.status, stopDate, null, outcome.error, outcome.cause, executionArn);
    }
    await this.closedNow(executionArn);
  }

  private async closedNow(executionArn: string): Promise<void> {
    const description = this.describeExecution(executionArn);
    for (const resolve of this.waiters.get(executionArn) ?? []) resolve(description);
    this.waiters.delete(executionArn);
    try {
      await this.onExecutionClosed?.(description);
    } catch (error) {
      console.error(`athena-wlm: the closed-execution hook failed for ${executionArn}:`, error);
    }
  }

  private appendEvent(executionArn: string, event: EventLog | ExecutionRestartedEvent): void {
    immediate(this.db, () => {
      const { next } = this.statements.nextEventId.get(executionArn)!;
      this.statements.insertEvent.run(executionArn, next, event.timestamp, event.type, JSON.stringify(event));
    });
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('The local Step Functions service is closed');
  }
}

function describe(row: ExecutionRow): ExecutionDescription {
  return {
    executionArn: row.arn,
    stateMachineArn: row.state_machine_arn,
    name: row.name,
    status: row.status,
    startDate: new Date(row.start_date),
    ...(row.stop_date !== null ? { stopDate: new Date(row.stop_date) } : {}),
    input: row.input,
    ...(row.output !== null ? { output: row.output } : {}),
    ...(row.error !== null ? { error: row.error } : {}),
    ...(row.cause !== null ? { cause: row.cause } : {}),
    runs: row.runs,
  };
}

function encodeListToken(token: { d: number; a: string }): string {
  return Buffer.from(JSON.stringify(token), 'utf8').toString('base64url');
}

function decodeListToken(text: string): { d: number; a: string } {
  try {
    const token = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as { d: unknown; a: unknown };
    if (typeof token.d === 'number' && typeof token.a === 'string') return { d: token.d, a: token.a };
  } catch {
    // fall through
  }
  throw new StepFunctionsError('InvalidArn', 'Invalid Token: nextToken is not one this service returned');
}

/** The core `ExecutionStarter` on the local service: ExecutionAlreadyExists means this attempt was handled. */
export function executionStarterOf(service: LocalStepFunctions): ExecutionStarter {
  return {
    async start(name, input) {
      try {
        const { executionArn } = service.startExecution({ name, input: JSON.stringify(input) });
        return { status: 'started', executionArn };
      } catch (error) {
        if ((error as Error).name === 'ExecutionAlreadyExists') return { status: 'already-exists' };
        throw error;
      }
    },
  };
}

/** The core `ExecutionControl` on the local service: a closed or unknown execution is not an error. */
export function executionControlOf(service: LocalStepFunctions): ExecutionControl {
  return {
    async status(executionArn): Promise<ExecutionStatus> {
      try {
        return service.describeExecution(executionArn).status;
      } catch (error) {
        if ((error as Error).name === 'ExecutionDoesNotExist') return 'NOT_FOUND';
        throw error;
      }
    },
    async stop(executionArn, cause, error = 'athena-wlm.Stopped') {
      try {
        await service.stopExecution(executionArn, { error, cause });
      } catch (failure) {
        if ((failure as Error).name !== 'ExecutionDoesNotExist') throw failure;
      }
    },
  };
}
