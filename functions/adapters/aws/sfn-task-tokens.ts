import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { TaskTokens } from '../../core/ports';

/** Step Functions' limit on a SendTaskFailure cause. */
const MAX_CAUSE = 32_768;

/**
 * The errors SendTaskSuccess and SendTaskFailure give for a token nobody waits on any more: its
 * execution was stopped, timed out, or the task was completed before (API_SendTaskSuccess, Errors).
 */
const GONE = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

/** Completes the task tokens of executions waiting in run-query's EnterLine state. */
export class SfnTaskTokens implements TaskTokens {
  constructor(private readonly client: SFNClient) {}

  async succeed(taskToken: string, output: Readonly<Record<string, unknown>>): Promise<'ok' | 'gone'> {
    return this.send(() =>
      this.client.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) })),
    );
  }

  async fail(taskToken: string, error: string, cause: string): Promise<'ok' | 'gone'> {
    return this.send(() =>
      this.client.send(new SendTaskFailureCommand({ taskToken, error, cause: cause.slice(0, MAX_CAUSE) })),
    );
  }

  private async send(call: () => Promise<unknown>): Promise<'ok' | 'gone'> {
    try {
      await call();
      return 'ok';
    } catch (error) {
      if (GONE.has((error as { name?: string }).name ?? '')) return 'gone';
      throw error;
    }
  }
}
