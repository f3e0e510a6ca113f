import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { Caller } from '../../core/access';
import type { ApiResponse, QueryStringValues } from '../../core/query-api';
import { correlate } from './powertools';

const JSON_HEADERS = { 'content-type': 'application/json' } as const;

/** A core API response as a Lambda proxy integration result. */
export function toProxyResult(response: ApiResponse): APIGatewayProxyResult {
  return {
    statusCode: response.statusCode,
    headers: { ...JSON_HEADERS },
    body: JSON.stringify(response.body),
  };
}

/**
 * The IAM principal that signed the request: IAM auth puts its ARN in the request context's
 * `identity.userArn`, the same value the submission mapping template records as `submittedBy`.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html#context-variable-reference
 */
export function callerOf(event: APIGatewayProxyEvent): Caller {
  return { principal: event.requestContext?.identity?.userArn ?? '' };
}

/** The request's query-string values. */
export function queryParams(event: APIGatewayProxyEvent): QueryStringValues {
  return { ...(event.queryStringParameters ?? {}) };
}

/**
 * Runs one API route: the route's answer as JSON, the path's queryId on every log line while it runs, and
 * an unexpected error as a 500 whose message carries the request id to quote to an admin.
 */
export async function answer(
  event: APIGatewayProxyEvent,
  logger: Logger,
  route: () => Promise<ApiResponse>,
): Promise<APIGatewayProxyResult> {
  const queryId = event.pathParameters?.queryId;
  if (queryId) correlate(logger, queryId);
  try {
    const response = await route();
    logger.info('answered', { statusCode: response.statusCode, path: event.path });
    return toProxyResult(response);
  } catch (error) {
    const requestId = event.requestContext?.requestId ?? 'unknown';
    logger.error('request failed', { error: error as Error, requestId });
    return toProxyResult({
      statusCode: 500,
      body: {
        message: `athena-wlm could not answer this request because of an internal error. Try again; if it persists, give an admin the request id ${requestId}.`,
        requestId,
      },
    });
  }
}
