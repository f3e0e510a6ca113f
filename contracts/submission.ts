import { z } from 'zod';

import {
  buildRunQueryInput,
  DEFAULT_CATALOG,
  DEFAULT_DATABASE,
  MAX_EXECUTION_INPUT_BYTES,
} from './execution-input';

/**
 * Query ids become execution names (`<queryId>` or `<queryId>__r<N>`, at most 80 characters), Athena
 * request tokens and ledger keys, so they are restricted to characters all three accept (and that
 * Step Functions logs): letters, digits, - and _. Two _ in a row, or a _ at the end, are refused so
 * that no query id can be read as another one's redrive. At most 64 characters (the schema's max).
 */
export const QUERY_ID_PATTERN = '^[A-Za-z0-9](?:_?[A-Za-z0-9-])*$';
export const MAX_QUERY_ID_LENGTH = 64;

/**
 * Bytes of one run's input that are not the body's: the largest query id, class name, Athena workgroup
 * name, attempt number and place in line the config allows, and the request token. Counting the
 * largest keeps the check free of the config, at the cost of a few hundred bytes.
 */
const envelopeSource = {
  queryId: 'q'.repeat(MAX_QUERY_ID_LENGTH),
  className: 'c'.repeat(32),
  query: '',
  database: '',
  catalog: '',
};
const WORST_ATTEMPT = 101; // redrive.maxRedrives is at most 100
const WORST_WORKGROUP = 'w'.repeat(128);
const WORST_PLACE = {
  submittedAt: '2026-01-01T00:00:00.000Z',
  waitUntil: '2026-01-01T00:00:00.000Z',
  queueWaitSeconds: 1440 * 60, // maxQueueWaitMinutes is at most 1440
};

/** Bytes a body takes in the input of one run of the state machine, at the largest envelope. */
export function runInputBytes(body: {
  readonly query: string;
  readonly database?: string;
  readonly catalog?: string;
  readonly executionParameters?: readonly string[];
}): number {
  const input = buildRunQueryInput(
    {
      ...envelopeSource,
      query: body.query,
      database: body.database ?? DEFAULT_DATABASE,
      catalog: body.catalog ?? DEFAULT_CATALOG,
      ...(body.executionParameters ? { executionParameters: body.executionParameters } : {}),
    },
    WORST_ATTEMPT,
    WORST_WORKGROUP,
    WORST_PLACE,
  );
  return Buffer.byteLength(JSON.stringify(input), 'utf8');
}

/**
 * The longest query athena-wlm runs, in bytes: Athena takes 262,144, but the query travels inside
 * Step Functions' input, which is limited to 262,144 bytes too, with the rest of the run around it.
 * This is that limit less the envelope, for a query with the default database and catalog, no
 * parameters and nothing JSON must escape (each newline, tab, `"` and `\` takes two bytes there).
 */
export const MAX_QUERY_BYTES = MAX_EXECUTION_INPUT_BYTES - runInputBytes({ query: '' });

/**
 * The query holds something besides whitespace and comments (`-- ...`, `/* ... *\/`): it skips those at
 * the start and needs one more character that does not open a comment. Each alternative starts with a
 * different character, so it never backtracks; it is also API Gateway's model pattern (Java regex).
 */
export const STATEMENT_PATTERN =
  '^(?:[\\s\\u00a0\\ufeff]|--[^\\n]*(?:\\n|$)|\\/\\*(?:[^*]|\\*+[^*/])*\\*+\\/)*(?:[^\\s\\u00a0\\ufeff/-]|\\/(?!\\*)|-(?!-))';
/** No NUL character: Athena and DuckDB end or refuse the string there. */
export const NO_NUL_PATTERN = '^[^\\u0000]*$';

/**
 * The body of `POST /workgroups/{className}/queries` and `POST /athena/query` as JSON schema can say it:
 * API Gateway's model (generated from this) and the starter's check of a queued message.
 */
export const submissionBodyShape = z
  .object({
    query: z
      .string()
      .min(1)
      .max(MAX_QUERY_BYTES)
      .regex(new RegExp(STATEMENT_PATTERN), 'is only whitespace or comments; send a SQL statement')
      .regex(new RegExp(NO_NUL_PATTERN), 'contains a NUL character (\\u0000); remove it')
      .describe(
        `The SQL to run: up to ${MAX_QUERY_BYTES} bytes (with the default database and no parameters, counting two bytes for each newline, tab, quote or backslash).`,
      ),
    queryId: z
      .string()
      .max(MAX_QUERY_ID_LENGTH)
      .regex(
        new RegExp(QUERY_ID_PATTERN),
        'queryId is 1 to 64 letters, digits, - or _; it starts with a letter or digit, and has no _ at its end or next to another _',
      )
      .optional()
      .describe(
        'Your id for the query; a retried POST with the same id and SQL never runs it twice, the same id with other SQL is refused. Generated when absent.',
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

/**
 * The body as the API accepts it: the shape, and what JSON schema cannot say. The query must be text
 * (no lone UTF-16 surrogate, which no UTF-8 byte string spells) and must fit, with its parameters, in
 * the input of the run that will carry it to Athena.
 */
export const submissionBodySchema = submissionBodyShape.superRefine((body, ctx) => {
  if (!body.query.isWellFormed()) {
    ctx.addIssue({
      code: 'custom',
      path: ['query'],
      message: 'is not valid Unicode text (it has a lone surrogate such as \\ud800); send it as UTF-8 text',
    });
    return;
  }
  const bytes = runInputBytes(body);
  if (bytes > MAX_EXECUTION_INPUT_BYTES) {
    ctx.addIssue({
      code: 'custom',
      path: ['query'],
      message: `is ${bytes - MAX_EXECUTION_INPUT_BYTES} bytes too long: with its database, catalog and parameters it takes ${bytes} bytes of the ${MAX_EXECUTION_INPUT_BYTES} bytes Step Functions allows one run's input (there newlines, tabs, quotes and backslashes take two bytes each); shorten it`,
    });
  }
});

export type SubmissionBody = z.infer<typeof submissionBodySchema>;

/**
 * A message on the `queries` queue. A new submission (sent by the ledger's stream on AWS, by the local
 * intake locally) names the query, and may carry the body and what only the edge knows; a redriven one
 * names only the query and its attempt, and the starter reads the rest from the ledger. The starter
 * validates both.
 */
const queryMessageShape = z
  .object({
    /** The workload class from the path, or the default class for `/athena/query`. */
    className: z.string().min(1).max(64),
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
    body: submissionBodyShape.optional(),
  })
  .refine((m) => m.body === undefined || m.submittedAt !== undefined, {
    message: 'a message with a body needs submittedAt',
    path: ['submittedAt'],
  });

/**
 * The message schema, which also reads the class under its first name, `workgroup`: messages sent before
 * the rename may still wait in the queues (the deferred queue keeps them up to 14 days).
 */
export const queryMessageSchema = z.preprocess(
  (value) =>
    isObject(value) && !('className' in value) && 'workgroup' in value ? renameWorkgroup(value) : value,
  queryMessageShape,
);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function renameWorkgroup({ workgroup, ...rest }: Record<string, unknown>): Record<string, unknown> {
  return { ...rest, className: workgroup };
}

export type QueryMessage = z.output<typeof queryMessageSchema>;
/** A message as this code writes it. */
export type QueryMessageInput = z.input<typeof queryMessageShape>;

/** JSON schema (draft-04, as API Gateway models want) of the submission body, from the one zod source. */
export function submissionBodyJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(submissionBodyShape, { target: 'draft-4', io: 'input' }) as Record<
    string,
    unknown
  >;
  delete schema.$schema;
  return schema;
}
