import { randomUUID } from 'node:crypto';
import type { TaskTokens } from '../../functions/core/ports';
import { ExecutionStoppedError } from './errors';

type JsonObject = Record<string, unknown>;

interface Waiter {
  readonly executionArn: string;
  resolve(output: JsonObject): void;
  reject(error: Error): void;
}

/**
 * Task tokens of the local Step Functions: a `.waitForTaskToken` Task waits on its token until
 * SendTaskSuccess or SendTaskFailure (here `succeed` and `fail`) completes it. A token whose task is
 * over (the execution moved on, timed out, was stopped) is gone, as on AWS, where those calls then
 * answer TaskTimedOut.
 */
export class LocalTaskTokens implements TaskTokens {
  private readonly waiters = new Map<string, Waiter>();

  /** A new token for a Task of `executionArn` (what `$$.Task.Token` reads). */
  issue(executionArn: string): string {
    return `${executionArn}#${randomUUID()}`;
  }

  /** Waits for the token to be completed; the signal (a stopped execution) gives up. */
  wait(token: string, executionArn: string, signal: AbortSignal): Promise<JsonObject> {
    return new Promise<JsonObject>((resolve, reject) => {
      if (signal.aborted) {
        reject(new ExecutionStoppedError());
        return;
      }
      const onAbort = () => {
        this.waiters.delete(token);
        reject(new ExecutionStoppedError());
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const settle =
        <T>(fn: (value: T) => void) =>
        (value: T) => {
          signal.removeEventListener('abort', onAbort);
          this.waiters.delete(token);
          fn(value);
        };
      this.waiters.set(token, { executionArn, resolve: settle(resolve), reject: settle(reject) });
    });
  }

  /** Forgets the tokens of an execution whose waiting task is over (it moved on or ended). */
  forget(executionArn: string): void {
    for (const [token, waiter] of this.waiters)
      if (waiter.executionArn === executionArn) this.waiters.delete(token);
  }

  async succeed(taskToken: string, output: Readonly<Record<string, unknown>>): Promise<'ok' | 'gone'> {
    const waiter = this.waiters.get(taskToken);
    if (!waiter) return 'gone';
    waiter.resolve(JSON.parse(JSON.stringify(output)) as JsonObject);
    return 'ok';
  }

  async fail(taskToken: string, error: string, cause: string): Promise<'ok' | 'gone'> {
    const waiter = this.waiters.get(taskToken);
    if (!waiter) return 'gone';
    const failure = new Error(cause);
    failure.name = error;
    waiter.reject(failure);
    return 'ok';
  }

  /** Tokens waited on now (for tests and the console). */
  get size(): number {
    return this.waiters.size;
  }
}
