import { z } from 'zod';

/** Athena's limit on a query string, in bytes. */
export const MAX_QUERY_BYTES = 262_144;

/**
 * Query ids become execution names (`<queryId>` or `<queryId>__r<N>`, at most 80 characters), Athena
 * request tokens and ledger keys, so they are restricted to characters all three accept (and that
 * Step Functions logs): letters, digits, - and _. Two _ in a row, or a _ at the end, are refused so
 * that no query id can be read as another one's redrive. At most 64 characters (the schema's max).
 */
export const QUERY_ID_PATTERN = '^[A-Za-z0-9](?:_?[A-Za-z0-9-])*$';
export const MAX_QUERY_ID_LENGTH = 64;

/** The body of `POST /workgroups/{workgroup}/queries` and `POST /athena/query`. */
export const submissionBodySchema = z
  .object({
    query: z
      .string()
      .min(1)
      .max(MAX_QUERY_BYTES)
      .refine((q) => Buffer.byteLength(q, 'utf8') <= MAX_QUERY_BYTES, {
        message: `query is longer than Athena's limit of ${MAX_QUERY_BYTES} bytes`,
      })
      .describe('The SQL to run.'),
    queryId: z
      .string()
      .max(MAX_QUERY_ID_LENGTH)
      .regex(
        new RegExp(QUERY_ID_PATTERN),
        'queryId is 1 to 64 letters, digits, - or _; it starts with a letter or digit, and has no _ at its end or next to another _',
      )
      .optional()
      .describe(
        'Your id for the query; a retried POST with the same id never runs it twice. Generated when absent.',
      ),
    database: z
      .string()
      .min(1)
      .max(255)
      .optional()
      .describe('Glue database the query runs in (default "default").'),
    catalog: z.string().min(1).max(255).optional().describe('Data catalog (default "AwsDataCatalog").'),
    userId: z.string().min(1).max(256).optional().describe('A label for who asked, kept on the record.'),
    executionParameters: z
      .array(z.string().min(1).max(1024))
      .min(1)
      .max(1000)
      .optional()
      .describe('Values for the ? placeholders of a parameterized query, in order.'),
  })
  .strict();

export type SubmissionBody = z.infer<typeof submissionBodySchema>;

/**
 * A message on the `queries` queue. A new submission (built by API Gateway's mapping template, no Lambda)
 * carries the body and what only the edge knows; a redriven one names only the query and its attempt,
 * and the starter reads the rest from the ledger. The starter validates both.
 */
export const queryMessageSchema = z
  .object({
    /** The workload class from the path, or the default class for `/athena/query`. */
    workgroup: z.string().min(1).max(64),
    /** The body's queryId, or the API request id when the body has none. */
    queryId: z
      .string()
      .max(MAX_QUERY_ID_LENGTH)
      .regex(new RegExp(QUERY_ID_PATTERN), 'queryId is not a valid query id'),
    /** 1 for the first run; the state machine sends attempt + 1 to the deferred queue. */
    attempt: z.number().int().min(1).default(1),
    /** Epoch milliseconds when the API accepted the request (new submissions). */
    submittedAt: z.number().int().nonnegative().optional(),
    /** Caller identity (IAM user or role ARN on AWS). */
    submittedBy: z.string().max(2048).optional(),
    body: submissionBodySchema.optional(),
  })
  .refine((m) => m.body === undefined || m.submittedAt !== undefined, {
    message: 'a message with a body needs submittedAt',
    path: ['submittedAt'],
  });

export type QueryMessage = z.output<typeof queryMessageSchema>;
export type QueryMessageInput = z.input<typeof queryMessageSchema>;

/** JSON schema (draft-04, as API Gateway models want) of the submission body, from the one zod source. */
export function submissionBodyJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(submissionBodySchema, { target: 'draft-4', io: 'input' }) as Record<
    string,
    unknown
  >;
  delete schema.$schema;
  return schema;
}
