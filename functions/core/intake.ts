import type { z } from 'zod';
import {
  type QueryMessageInput,
  type SubmissionBody,
  submissionBodySchema,
} from '../../contracts/submission';
import type { Caller } from './access';
import type { SubmissionStore } from './ports';
import { isSameSubmission, newQueryRecord } from './query-record';

/** What the API answers a submission with (202), and the message it queues. */
export interface AcceptedSubmission {
  readonly queryId: string;
  readonly statusUrl: string;
  readonly message: QueryMessageInput & { readonly body: SubmissionBody; readonly submittedAt: number };
}

/** A 400 answer that names each bad field. */
export interface RejectedSubmission {
  readonly message: string;
  readonly errors: readonly { readonly field: string; readonly problem: string }[];
}

/**
 * Validates a submission and builds its queue message, the way API Gateway's request validator and
 * mapping template do on AWS: the body's queryId, or the request id when it has none.
 */
export function acceptSubmission(
  className: string,
  body: unknown,
  request: {
    readonly requestId: string;
    readonly submittedBy?: string;
    readonly now: Date;
    readonly baseUrl: string;
  },
): AcceptedSubmission | RejectedSubmission {
  const parsed = submissionBodySchema.safeParse(body);
  if (!parsed.success) return rejection(parsed.error);
  const submission: SubmissionBody = parsed.data;
  const queryId = submission.queryId ?? request.requestId;
  return {
    queryId,
    statusUrl: `${request.baseUrl}/queries/${queryId}`,
    message: {
      className,
      queryId,
      submittedAt: request.now.getTime(),
      ...(request.submittedBy ? { submittedBy: request.submittedBy } : {}),
      body: submission,
    },
  };
}

function rejection(error: z.ZodError): RejectedSubmission {
  const errors = error.issues.map((issue) => {
    const keys = (issue as { keys?: string[] }).keys;
    const field = issue.path.length > 0 ? issue.path.join('.') : keys?.length ? keys.join(', ') : 'body';
    return { field, problem: issue.message };
  });
  return {
    message: `Invalid request body: ${errors.map((e) => `${e.field}: ${e.problem}`).join('; ')}`,
    errors,
  };
}

/** A submission's answer: 202 with its id, 400 naming the bad fields, or 409 for an id already used. */
export interface SubmitResponse {
  readonly statusCode: 202 | 400 | 409;
  readonly body: object;
}

/**
 * `POST /workgroups/{className}/queries` and `POST /athena/query` where the edge can write: validates,
 * then records the query and queues it in one step. A retried POST (same id, SQL and submitter) is
 * answered as the first was and queues nothing more; the same id with other SQL, or from another
 * submitter, is refused with 409, which says nothing about the query that holds the id.
 */
export async function submitQuery(
  className: string,
  body: unknown,
  request: {
    readonly requestId: string;
    readonly caller: Caller;
    readonly now: Date;
    readonly baseUrl: string;
  },
  store: SubmissionStore,
): Promise<SubmitResponse> {
  const accepted = acceptSubmission(className, body, {
    requestId: request.requestId,
    submittedBy: request.caller.principal,
    now: request.now,
    baseUrl: request.baseUrl,
  });
  if ('errors' in accepted) return { statusCode: 400, body: accepted };
  const { message } = accepted;
  const fresh = newQueryRecord({ ...message, attempt: 1 }, request.now);
  // The message names the stored record, as the AWS intake pipe's does, so the starter runs one path.
  const { created, record } = await store.admit(fresh, {
    className: message.className,
    queryId: message.queryId,
    attempt: 1,
  });
  if (!created && !isSameSubmission(record, fresh)) {
    return {
      statusCode: 409,
      body: {
        message: `queryId '${accepted.queryId}' is already used by another query; nothing was enqueued. Submit with a new queryId (or none, and one is made for you).`,
        field: 'queryId',
        queryId: accepted.queryId,
      },
    };
  }
  return { statusCode: 202, body: { queryId: accepted.queryId, statusUrl: accepted.statusUrl } };
}
