import type { z } from 'zod';
import type { WlmConfig } from './config';
import { listParams, resultsParams } from './query-params';
import type { RESPONSE_SCHEMAS, ResponseName } from './responses';

/**
 * The HTTP API, once: every route's method, path, parameters and answers. The CDK stack serves these
 * routes (lib/query-api.ts), the local server routes them (local/http/api-routes.ts), the OpenAPI document
 * describes them (functions/core/openapi.ts) and the CLI calls them (cli/api-client.ts).
 */

export type HttpMethod = 'GET' | 'POST' | 'DELETE';

/** One answer of a route: what it means, and its JSON body by its OpenAPI component name. */
export interface ResponseSpec {
  readonly description: string;
  readonly body?: ResponseName;
}

export interface RouteSpec {
  readonly method: HttpMethod;
  /** Path under the API's base URL (after the stage on AWS); `{name}` is a path parameter. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly tag: 'submit' | 'queries' | 'classes';
  /**
   * How API Gateway serves it: `ledger` writes the submission straight to the query ledger as a QUEUED
   * record (one static resource per class for `{className}`), `lambda` is a Lambda proxy integration.
   */
  readonly integration: 'ledger' | 'lambda';
  /** The JSON body the route takes, by its OpenAPI component name. */
  readonly requestBody?: 'SubmissionBody';
  /** The query string the route reads, as the handler validates it. */
  readonly queryString?: (config: WlmConfig) => z.ZodObject;
  /** Answers by HTTP status; exactly one is 2xx. */
  readonly responses: Readonly<Record<string, ResponseSpec>>;
}

const BAD_PARAMETER: ResponseSpec = {
  description: 'A path or query parameter is not valid; the message names it.',
  body: 'Error',
};
const NOT_FOUND: ResponseSpec = {
  description:
    'No query with that id that the caller may see (its submitter, an admin, or a member of a class that shares); a query submitted seconds ago may still be queued.',
  body: 'Error',
};
const FORBIDDEN: ResponseSpec = {
  description: 'Not signed, or the caller may not use this route or class (AWS only).',
};

const SUBMISSION_RESPONSES = {
  '202': { description: 'Queued in the class; follow it at statusUrl.', body: 'SubmissionAccepted' },
  '400': {
    description: 'The body is not valid; errors names each field. Nothing was queued.',
    body: 'SubmissionRejected',
  },
  '403': FORBIDDEN,
  '409': {
    description:
      'The queryId is already used by another query (other SQL, class or submitter). Nothing was queued.',
    body: 'Error',
  },
  '415': {
    description: 'The body was not sent as Content-Type: application/json. Nothing was queued.',
    body: 'Error',
  },
} as const satisfies Record<string, ResponseSpec>;

/** The path parameter of a class's submission route. */
export const CLASS_PATH_PARAMETER = 'className';

/** Every route of the API. */
export const ROUTES = {
  submit: {
    method: 'POST',
    path: `/workgroups/{${CLASS_PATH_PARAMETER}}/queries`,
    operationId: 'submitTo',
    summary: 'Submit a query to a workload class',
    tag: 'submit',
    integration: 'ledger',
    requestBody: 'SubmissionBody',
    responses: SUBMISSION_RESPONSES,
  },
  submitToDefaultClass: {
    method: 'POST',
    path: '/athena/query',
    operationId: 'submitQuery',
    summary: "Submit a query to the default class, in the reference sample's form",
    tag: 'submit',
    integration: 'ledger',
    requestBody: 'SubmissionBody',
    responses: SUBMISSION_RESPONSES,
  },
  listQueries: {
    method: 'GET',
    path: '/queries',
    operationId: 'listQueries',
    summary: 'Recent queries, newest first, paged',
    tag: 'queries',
    integration: 'lambda',
    queryString: listParams,
    responses: {
      '200': { description: 'A page of queries.', body: 'QueryList' },
      '400': BAD_PARAMETER,
      '403': FORBIDDEN,
    },
  },
  getQuery: {
    method: 'GET',
    path: '/queries/{queryId}',
    operationId: 'getQuery',
    summary: "A query's status, reason, timings and Athena ids",
    tag: 'queries',
    integration: 'lambda',
    responses: {
      '200': { description: 'The query.', body: 'QueryView' },
      '400': BAD_PARAMETER,
      '403': FORBIDDEN,
      '404': NOT_FOUND,
    },
  },
  cancelQuery: {
    method: 'DELETE',
    path: '/queries/{queryId}',
    operationId: 'cancelQuery',
    summary: 'Cancel a query wherever it is: queued, waiting for a slot, deferred or running',
    tag: 'queries',
    integration: 'lambda',
    responses: {
      '200': {
        description: 'The query is CANCELLED; previousStatus says where it was caught.',
        body: 'CancelledQuery',
      },
      '400': BAD_PARAMETER,
      '403': FORBIDDEN,
      '404': NOT_FOUND,
      '409': { description: 'The query had already finished: nothing to cancel.', body: 'Error' },
    },
  },
  getResults: {
    method: 'GET',
    path: '/queries/{queryId}/results',
    operationId: 'getResults',
    summary: 'Rows of a SUCCEEDED query, with column names and types, paged',
    tag: 'queries',
    integration: 'lambda',
    queryString: () => resultsParams,
    responses: {
      '200': { description: 'A page of rows.', body: 'ResultsPage' },
      '400': BAD_PARAMETER,
      '403': FORBIDDEN,
      '404': NOT_FOUND,
      '409': { description: 'The query is not SUCCEEDED; status and reason say why.', body: 'Error' },
      '410': { description: 'The results are gone (expired from the results bucket).', body: 'Error' },
    },
  },
  listWorkgroups: {
    method: 'GET',
    path: '/workgroups',
    operationId: 'listWorkgroups',
    summary: 'Each workload class with its limits, slots in use, and queued and waiting counts',
    tag: 'classes',
    integration: 'lambda',
    responses: { '200': { description: 'The classes.', body: 'Workgroups' }, '403': FORBIDDEN },
  },
} as const satisfies Record<string, RouteSpec>;

export type RouteId = keyof typeof ROUTES;
/** Routes API Gateway serves with a Lambda proxy integration. */
export type LambdaRouteId = {
  [K in RouteId]: (typeof ROUTES)[K]['integration'] extends 'lambda' ? K : never;
}[RouteId];

/** The path parameters of a path template (`/queries/{queryId}` has `queryId`). */
export type PathParameters<P extends string> = P extends `${string}{${infer Name}}${infer Rest}`
  ? Name | PathParameters<Rest>
  : never;

/** The names of a route's path parameters, in order. */
export function pathParametersOf(route: RouteSpec): string[] {
  return [...route.path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
}

/**
 * A route as served under a config: API Gateway has one static resource per class, so a route with the
 * class parameter is served once per class with the class in its path; other routes once, as written.
 */
export interface ServedRoute {
  readonly id: RouteId;
  readonly route: RouteSpec;
  readonly method: HttpMethod;
  readonly path: string;
  /** The class a submission route queues to (the default class for a route without the parameter). */
  readonly className?: string;
  /** Whether the path is the route's own with the class filled in. */
  readonly perClass: boolean;
}

/** Every route of the table as served under a config (see {@link ServedRoute}). */
export function servedRoutes(config: WlmConfig): ServedRoute[] {
  return (Object.keys(ROUTES) as RouteId[]).flatMap((id): ServedRoute[] => {
    const route: RouteSpec = ROUTES[id];
    const submits = route.integration === 'ledger';
    if (!pathParametersOf(route).includes(CLASS_PATH_PARAMETER)) {
      return [
        {
          id,
          route,
          method: route.method,
          path: route.path,
          perClass: false,
          ...(submits ? { className: config.defaultClass } : {}),
        },
      ];
    }
    return Object.keys(config.classes).map((className) => ({
      id,
      route,
      method: route.method,
      path: route.path.replace(`{${CLASS_PATH_PARAMETER}}`, className),
      className,
      perClass: true,
    }));
  });
}

/** A route's path with its parameters filled in, each URL-encoded. */
export function pathOf<R extends RouteSpec>(
  route: R,
  values: Readonly<Record<PathParameters<R['path']>, string>>,
): string {
  return route.path.replace(/\{([^}]+)\}/g, (_, name: string) =>
    encodeURIComponent((values as Readonly<Record<string, string>>)[name]),
  );
}

/** The JSON body of a route's 2xx answer, as a type. */
export type SuccessBody<R extends RouteSpec> = {
  [S in keyof R['responses']]: S extends `2${string}`
    ? R['responses'][S] extends { readonly body: infer B extends ResponseName }
      ? z.output<(typeof RESPONSE_SCHEMAS)[B]>
      : never
    : never;
}[keyof R['responses']];
