import type { QueryExecution, StartQueryExecutionInput } from '@aws-sdk/client-athena';
import type { AthenaForStepFunctions } from '../../../local/stepfunctions';

/** What the fake does with one StartQueryExecution call (by call number, from 1). */
export type Behaviour =
  | { readonly kind: 'throttle' }
  | { readonly kind: 'reject'; readonly name: string; readonly message: string }
  | { readonly kind: 'succeed' }
  | { readonly kind: 'fail'; readonly reason: string }
  | { readonly kind: 'cancel'; readonly reason: string }
  /** Runs until StopQueryExecution or `finish`. */
  | { readonly kind: 'hang' };

class ServiceError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

interface Run {
  execution: QueryExecution;
  ended: PromiseWithResolvers<QueryExecution>;
}

/**
 * A stand-in for LocalAthena behind the Step Functions port, scripted per call. Like Athena, a
 * ClientRequestToken seen before returns the same QueryExecutionId and starts nothing.
 */
export class FakeAthena implements AthenaForStepFunctions {
  /** Every StartQueryExecution call, throttled ones included. */
  readonly calls: StartQueryExecutionInput[] = [];
  /** Queries actually started (runs). */
  readonly runs: string[] = [];
  readonly stops: string[] = [];
  private readonly byToken = new Map<string, string>();
  private readonly executions = new Map<string, Run>();

  constructor(
    private readonly script: (call: number, request: StartQueryExecutionInput) => Behaviour = () => ({
      kind: 'succeed',
    }),
  ) {}

  async startQueryExecution(request: StartQueryExecutionInput): Promise<{ QueryExecutionId: string }> {
    this.calls.push(request);
    const known = request.ClientRequestToken ? this.byToken.get(request.ClientRequestToken) : undefined;
    if (known) return { QueryExecutionId: known };
    const behaviour = this.script(this.calls.length, request);
    if (behaviour.kind === 'throttle') {
      throw new ServiceError(
        'TooManyRequestsException',
        'You have exceeded the limit for the number of queries you can run concurrently.',
      );
    }
    if (behaviour.kind === 'reject') throw new ServiceError(behaviour.name, behaviour.message);
    const id = `athena-${this.runs.length + 1}`;
    this.runs.push(id);
    if (request.ClientRequestToken) this.byToken.set(request.ClientRequestToken, id);
    const run: Run = {
      execution: {
        QueryExecutionId: id,
        Query: request.QueryString,
        WorkGroup: request.WorkGroup,
        ResultConfiguration: { OutputLocation: `s3://athena-wlm-results/${request.WorkGroup}/${id}.csv` },
        Status: { State: 'RUNNING', SubmissionDateTime: new Date('2026-01-01T00:00:00.000Z') },
        Statistics: {},
      },
      ended: Promise.withResolvers<QueryExecution>(),
    };
    this.executions.set(id, run);
    if (behaviour.kind === 'succeed') this.finish(id, 'SUCCEEDED');
    if (behaviour.kind === 'fail') this.finish(id, 'FAILED', behaviour.reason);
    if (behaviour.kind === 'cancel') this.finish(id, 'CANCELLED', behaviour.reason);
    return { QueryExecutionId: id };
  }

  async waitForQueryExecution(id: string, signal?: AbortSignal): Promise<{ QueryExecution: QueryExecution }> {
    const run = this.executions.get(id);
    if (!run) throw new ServiceError('InvalidRequestException', `QueryExecution ${id} was not found`);
    if (signal?.aborted) throw new DOMException('aborted', 'AbortError');
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(new DOMException('aborted', 'AbortError'));
      signal?.addEventListener('abort', onAbort, { once: true });
      run.ended.promise.then((execution) => {
        signal?.removeEventListener('abort', onAbort);
        resolve({ QueryExecution: execution });
      });
    });
  }

  async stopQueryExecution(input: { QueryExecutionId: string }): Promise<Record<string, never>> {
    this.stops.push(input.QueryExecutionId);
    if (this.executions.get(input.QueryExecutionId)?.execution.Status?.State === 'RUNNING') {
      this.finish(input.QueryExecutionId, 'CANCELLED', 'Query cancelled by user');
    }
    return {};
  }

  /** Ends a query, with Athena's statistics. */
  finish(id: string, state: 'SUCCEEDED' | 'FAILED' | 'CANCELLED', reason?: string): void {
    const run = this.executions.get(id)!;
    run.execution = {
      ...run.execution,
      Status: {
        ...run.execution.Status,
        State: state,
        ...(reason ? { StateChangeReason: reason } : {}),
        CompletionDateTime: new Date('2026-01-01T00:00:01.000Z'),
      },
      Statistics: {
        DataScannedInBytes: 2048,
        EngineExecutionTimeInMillis: 120,
        QueryQueueTimeInMillis: 30,
        TotalExecutionTimeInMillis: 200,
      },
    };
    run.ended.resolve(run.execution);
  }

  /** Waits until `n` queries have started. */
  async started(n: number): Promise<void> {
    while (this.runs.length < n) await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
