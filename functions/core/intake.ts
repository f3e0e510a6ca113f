import type { z } from 'zod';
import { type QueryMessageInput, type SubmissionBody, submissionBodySchema } from './submission';

/** What the API answers a submission with (202), and the message it queues. */
export interface AcceptedSubmission {
  readonly queryId: string;
  readonly statusUrl: string;
  readonly message: QueryMessageInput;
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
  workgroup: string,
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
      workgroup,
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
