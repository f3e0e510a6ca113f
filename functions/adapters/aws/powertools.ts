import type { LambdaInterface } from '@aws-lambda-powertools/commons/types';
import type { Logger } from '@aws-lambda-powertools/logger';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context } from 'aws-lambda';
import { METRICS_SERVICE } from '../../../contracts/metrics';

/** The functions' X-Ray tracer (the stack turns active tracing on for every function). */
export const tracer = new Tracer({ serviceName: METRICS_SERVICE });

/** An AWS SDK v3 client whose calls appear as subsegments of the invocation's trace. */
export function traced<T>(client: T): T {
  return tracer.captureAWSv3Client(client);
}

/** A handler as Lambda calls it. */
export type LambdaHandler<E, R> = (event: E, context: Context) => Promise<R>;

/**
 * A handler in the form Powertools documents for its decorators: a class whose handler method the
 * Tracer and the Logger decorate. Each invocation is a traced segment with its cold start (the response
 * is not recorded: it may hold SQL or rows), every log line carries the Lambda context (request id,
 * function, cold start), and the keys an invocation appended (its queryId, its correlation id) are
 * cleared when it ends.
 */
export function powertoolsHandler<E, R>(logger: Logger, handle: LambdaHandler<E, R>): LambdaHandler<E, R> {
  class Lambda implements LambdaInterface {
    @tracer.captureLambdaHandler({ captureResponse: false })
    @logger.injectLambdaContext({ resetKeys: true })
    public async handler(event: E, context: Context): Promise<R> {
      return handle(event, context);
    }
  }
  const lambda = new Lambda();
  return lambda.handler.bind(lambda);
}

/**
 * Follows one query through the logs: every line the logger writes from here to the end of the
 * invocation carries its id, as `queryId` and as Powertools' `correlation_id`, the same in every function
 * the query passes through.
 */
export function correlate(logger: Logger, queryId: string): void {
  logger.appendKeys({ queryId });
  logger.setCorrelationId(queryId);
}
