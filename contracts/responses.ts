import { z } from 'zod';
import { QUERY_STATUSES } from './query-status';

/*
 * Response shapes of the API, as zod so that the OpenAPI document, the CLI's types and the tests that
 * check real responses against the document all come from one place. Requests are not described here:
 * their schemas are the ones the API validates with (submission.ts, query-params.ts).
 */

const statusSchema = z.enum(QUERY_STATUSES).describe('Where the query stands.');
const isoTime = z.string().describe('ISO-8601 time.');

/** `error` of a failed or cancelled query. */
export const queryErrorSchema = z.object({
  code: z.string().describe('A stable code, for example CancelledByUser or an Athena error type.'),
  message: z.string(),
});

/** `GET /queries/{queryId}`: the ledger record plus the durations users ask about (query-view.ts). */
export const queryViewSchema = z.object({
  queryId: z.string(),
  className: z.string().describe('The workload class the query was submitted to.'),
  workgroup: z
    .string()
    .meta({ description: 'The first name of className, kept for clients that read it.', deprecated: true }),
  query: z.string().describe('The SQL.'),
  database: z.string(),
  catalog: z.string(),
  executionParameters: z.array(z.string()).optional(),
  userId: z.string().optional().describe('The label the client gave, if any.'),
  submittedBy: z.string().optional().describe('The authenticated principal (IAM ARN on AWS).'),
  submittedAt: isoTime,
  status: statusSchema,
  reason: z.string().optional().describe('Why the query is waiting, deferred, failed or cancelled.'),
  attempts: z.number().int().describe('Executions started for this query (1 + redrives + pre-emptions).'),
  redrives: z.number().int(),
  preemptions: z
    .number()
    .int()
    .optional()
    .describe('Times the query was stopped to give a lender its guaranteed slot back, and run again.'),
  queriesAhead: z
    .number()
    .int()
    .optional()
    .describe('While WAITING_FOR_SLOT: queries of its class ahead of it in line (counted up to 1000).'),
  executionArn: z.string().optional().describe('The Step Functions execution (named after the queryId).'),
  athenaQueryExecutionId: z.string().optional(),
  athenaWorkGroup: z.string().optional(),
  dataScannedBytes: z.number().optional(),
  athenaQueueTimeMs: z.number().optional().describe("Athena's own queue time, in ms."),
  engineTimeMs: z.number().optional(),
  totalTimeMs: z.number().optional(),
  outputLocation: z.string().optional(),
  startedAt: isoTime.optional(),
  finishedAt: isoTime.optional(),
  updatedAt: isoTime,
  error: queryErrorSchema.optional(),
  cancelledBy: z.string().optional(),
  queueWaitMs: z
    .number()
    .optional()
    .describe('Submission to the start of the latest run (so far, if waiting).'),
  elapsedMs: z.number().describe('Submission to the end, or to now while not finished.'),
  finished: z.boolean().describe('Whether the status can still change.'),
});

/** An entry of `GET /queries`: the view with the SQL cut short. */
export const querySummarySchema = queryViewSchema.extend({
  queryTruncated: z.literal(true).optional().describe('The SQL was cut; GET /queries/{queryId} has it all.'),
});

/** `DELETE /queries/{queryId}`: the cancelled query and where it was caught. */
export const cancelledQuerySchema = queryViewSchema.extend({ previousStatus: statusSchema });

/** `GET /queries/{queryId}/results`: one page of rows. */
export const resultsPageSchema = z.object({
  queryId: z.string(),
  columns: z.array(z.object({ name: z.string(), type: z.string() })),
  rows: z
    .array(z.array(z.string().nullable()))
    .describe('Values as strings, in column order; null for NULL.'),
  nextToken: z.string().optional().describe('Pass back as nextToken for the next page; absent on the last.'),
  downloadUrl: z.string().optional().describe('Short-lived link to the whole result as CSV.'),
  downloadUrlExpiresAt: isoTime.optional(),
});

/** `GET /queries`: newest first. */
export const queryListSchema = z.object({
  items: z.array(querySummarySchema),
  nextToken: z.string().optional(),
});

/** One class of `GET /workgroups`. */
export const workgroupSchema = z.object({
  name: z.string(),
  description: z.string(),
  athenaWorkGroup: z.string(),
  guaranteedSlots: z
    .union([z.number().int(), z.string()])
    .describe(
      'Slots the class may always use, for the quota now (the configured share when it cannot be read).',
    ),
  maxSlots: z.union([z.number().int(), z.string()]),
  slotsInUse: z.number().int(),
  queued: z.number().int(),
  waitingForSlot: z.number().int(),
  deferred: z.number().int(),
  timeoutMinutes: z.number().int(),
  bytesScannedCutoffPerQuery: z.number().optional(),
  hourlyDataLimitBytes: z.number().optional(),
  dailyDataLimitBytes: z.number().optional(),
});

/** `GET /workgroups`. */
export const workgroupsSchema = z.object({
  quota: z.number().int().optional().describe("The account's Active DML query quota."),
  headroom: z
    .union([z.number().int(), z.string()])
    .describe('Slots kept for traffic outside athena-wlm (as configured).'),
  capacity: z.number().int().optional().describe('Slots athena-wlm may use: quota minus headroom.'),
  slotsInUse: z.number().int(),
  defaultClass: z.string().describe('The class POST /athena/query submits to.'),
  classes: z.array(workgroupSchema),
});

/** 202 of a submission. */
export const submissionAcceptedSchema = z.object({
  queryId: z.string(),
  statusUrl: z.string().describe('GET it to follow the query.'),
});

/** 400 of a submission: every bad field. */
export const submissionRejectedSchema = z.object({
  message: z.string(),
  errors: z.array(z.object({ field: z.string(), problem: z.string() })),
});

/** Every other 4xx: what happened and what to do, plus what it is about. */
export const errorSchema = z
  .object({
    message: z.string(),
    field: z.string().optional(),
    queryId: z.string().optional(),
    status: statusSchema.optional(),
    reason: z.string().optional(),
  })
  .loose();

export type QueryViewBody = z.infer<typeof queryViewSchema>;
export type CancelledQueryBody = z.infer<typeof cancelledQuerySchema>;
export type ResultsPageBody = z.infer<typeof resultsPageSchema>;
export type QueryListBody = z.infer<typeof queryListSchema>;
export type WorkgroupsBody = z.infer<typeof workgroupsSchema>;
export type SubmissionAcceptedBody = z.infer<typeof submissionAcceptedSchema>;
export type SubmissionRejectedBody = z.infer<typeof submissionRejectedSchema>;
export type ErrorBody = z.infer<typeof errorSchema>;

/** Every response body, by the name the OpenAPI document gives it under components.schemas. */
export const RESPONSE_SCHEMAS = {
  SubmissionAccepted: submissionAcceptedSchema,
  SubmissionRejected: submissionRejectedSchema,
  Error: errorSchema,
  QueryView: queryViewSchema,
  QuerySummary: querySummarySchema,
  CancelledQuery: cancelledQuerySchema,
  ResultsPage: resultsPageSchema,
  QueryList: queryListSchema,
  Workgroups: workgroupsSchema,
} as const;

export type ResponseName = keyof typeof RESPONSE_SCHEMAS;
