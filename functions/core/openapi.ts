import { z } from 'zod';
import type { WlmConfig } from '../../lib/config';
import { listParams, resultsParams } from './query-api';
import { QUERY_STATUSES } from './query-record';
import { QUERY_ID_PATTERN, submissionBodyJsonSchema } from './submission';

/*
 * Response shapes of the API, as zod so that the OpenAPI document, the CLI's types and the tests that
 * check real responses against the document all come from one place. Requests are not described here:
 * their schemas are the ones the API validates with (submission.ts, query-api.ts).
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
  workgroup: z.string().describe('The workload class the query was submitted to.'),
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
export type QuerySummaryBody = z.infer<typeof querySummarySchema>;
export type CancelledQueryBody = z.infer<typeof cancelledQuerySchema>;
export type ResultsPageBody = z.infer<typeof resultsPageSchema>;
export type QueryListBody = z.infer<typeof queryListSchema>;
export type WorkgroupsBody = z.infer<typeof workgroupsSchema>;
export type SubmissionAcceptedBody = z.infer<typeof submissionAcceptedSchema>;
export type SubmissionRejectedBody = z.infer<typeof submissionRejectedSchema>;
export type ErrorBody = z.infer<typeof errorSchema>;

export interface OpenApiOptions {
  /**
   * Base URL of the API (with its stage on AWS).
   * @default no servers entry: tools use the URL the document was read from
   */
  readonly serverUrl?: string;
}

type JsonSchema = Record<string, unknown>;
type Parameter = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: string, description: string) => ({
  description,
  content: { 'application/json': { schema: ref(schema) } },
});

function responseSchema(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'output' }) as JsonSchema;
}

/** Query parameters from the zod object the route validates its query string with. */
function queryParameters(schema: z.ZodType, overrides: Record<string, JsonSchema> = {}): Parameter[] {
  const object = z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input' }) as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(object.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: 'query',
      required: object.required?.includes(name) ?? false,
      ...(typeof description === 'string' ? { description } : {}),
      schema: { ...rest, ...overrides[name] },
    };
  });
}

const queryIdParameter = {
  name: 'queryId',
  in: 'path',
  required: true,
  description: 'The id the submission answered with (also the Step Functions execution name).',
  schema: { type: 'string', pattern: QUERY_ID_PATTERN },
};

const badRequest = json('Error', 'A path or query parameter is not valid; the message names it.');
const notFound = json(
  'Error',
  'No query with that id that the caller may see (its submitter, an admin, or a member of a class that shares); a query submitted seconds ago may still be queued.',
);
const forbidden = {
  description: 'Not signed, or the caller may not use this route or class (AWS only).',
};

/**
 * The OpenAPI 3.0 document of the API, for a given configuration (one submission path per class).
 * Request schemas are the ones the API validates with, so the document cannot drift from them.
 */
export function openApiDocument(config: WlmConfig, options: OpenApiOptions = {}): Record<string, unknown> {
  const classes = Object.keys(config.classes);
  const submit = (className: string, operationId: string, summary: string) => ({
    post: {
      operationId,
      summary,
      tags: ['submit'],
      requestBody: {
        required: true,
        content: { 'application/json': { schema: ref('SubmissionBody') } },
      },
      responses: {
        '202': json('SubmissionAccepted', `Queued in class ${className}; follow it at statusUrl.`),
        '400': json(
          'SubmissionRejected',
          'The body is not valid; errors names each field. Nothing was queued.',
        ),
        '403': forbidden,
        '409': json(
          'Error',
          'The queryId is already used by another query (other SQL, class or submitter). Nothing was queued.',
        ),
        '415': json('Error', 'The body was not sent as Content-Type: application/json. Nothing was queued.'),
      },
    },
  });

  const paths: Record<string, unknown> = {};
  for (const className of classes) {
    const description = config.classes[className].description;
    paths[`/workgroups/${className}/queries`] = submit(
      className,
      `submitTo${className.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase())}`,
      `Submit a query to the ${className} class${description ? ` (${description})` : ''}`,
    );
  }
  paths['/athena/query'] = submit(
    config.defaultClass,
    'submitQuery',
    `Submit a query to the default class (${config.defaultClass}), in the reference sample's form`,
  );
  paths['/queries'] = {
    get: {
      operationId: 'listQueries',
      summary: 'Recent queries, newest first, paged',
      tags: ['queries'],
      parameters: queryParameters(listParams(config), { workgroup: { enum: classes } }),
      responses: { '200': json('QueryList', 'A page of queries.'), '400': badRequest, '403': forbidden },
    },
  };
  paths['/queries/{queryId}'] = {
    parameters: [queryIdParameter],
    get: {
      operationId: 'getQuery',
      summary: "A query's status, reason, timings and Athena ids",
      tags: ['queries'],
      responses: {
        '200': json('QueryView', 'The query.'),
        '400': badRequest,
        '403': forbidden,
        '404': notFound,
      },
    },
    delete: {
      operationId: 'cancelQuery',
      summary: 'Cancel a query wherever it is: queued, waiting for a slot, deferred or running',
      tags: ['queries'],
      responses: {
        '200': json('CancelledQuery', 'The query is CANCELLED; previousStatus says where it was caught.'),
        '400': badRequest,
        '403': forbidden,
        '404': notFound,
        '409': json('Error', 'The query had already finished: nothing to cancel.'),
      },
    },
  };
  paths['/queries/{queryId}/results'] = {
    parameters: [queryIdParameter],
    get: {
      operationId: 'getResults',
      summary: 'Rows of a SUCCEEDED query, with column names and types, paged',
      tags: ['queries'],
      parameters: queryParameters(resultsParams),
      responses: {
        '200': json('ResultsPage', 'A page of rows.'),
        '400': badRequest,
        '403': forbidden,
        '404': notFound,
        '409': json('Error', 'The query is not SUCCEEDED; status and reason say why.'),
        '410': json('Error', 'The results are gone (expired from the results bucket).'),
      },
    },
  };
  paths['/workgroups'] = {
    get: {
      operationId: 'listWorkgroups',
      summary: 'Each workload class with its limits, slots in use, and queued and waiting counts',
      tags: ['classes'],
      responses: { '200': json('Workgroups', 'The classes.'), '403': forbidden },
    },
  };

  return {
    openapi: '3.0.3',
    info: {
      title: 'athena-wlm',
      version: '1.0.0',
      description:
        'Every Amazon Athena query on one managed path: submit to a workload class, follow it, read its rows, ' +
        'cancel it. On AWS every route needs SigV4 (IAM) signing for service execute-api, and a query is seen ' +
        'and cancelled only by its submitter, the admins and, where its class shares, the class members. The ' +
        'local runtime (npm start) serves the same routes to this machine only; a client there may act as a ' +
        'principal by naming it in the x-athena-wlm-principal header, and is the local operator (an admin) otherwise.',
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    security: [{ sigv4: [] }],
    tags: [
      { name: 'submit', description: 'Queue a query in a workload class.' },
      { name: 'queries', description: 'Follow, read, cancel and list queries.' },
      { name: 'classes', description: 'Workload classes and their capacity.' },
    ],
    paths,
    components: {
      securitySchemes: {
        sigv4: {
          type: 'apiKey',
          name: 'Authorization',
          in: 'header',
          description: 'AWS Signature Version 4 for service execute-api (IAM authorization).',
          'x-amazon-apigateway-authtype': 'awsSigv4',
        },
      },
      schemas: {
        SubmissionBody: submissionBodyJsonSchema(),
        SubmissionAccepted: responseSchema(submissionAcceptedSchema),
        SubmissionRejected: responseSchema(submissionRejectedSchema),
        Error: responseSchema(errorSchema),
        QueryView: responseSchema(queryViewSchema),
        QuerySummary: responseSchema(querySummarySchema),
        CancelledQuery: responseSchema(cancelledQuerySchema),
        ResultsPage: responseSchema(resultsPageSchema),
        QueryList: responseSchema(queryListSchema),
        Workgroups: responseSchema(workgroupsSchema),
      },
    },
  };
}
