import type { ErrorBody, SubmissionRejectedBody } from '../contracts/responses';
import { type PathParameters, pathOf, ROUTES, type RouteSpec, type SuccessBody } from '../contracts/routes';
import type { SubmissionBody } from '../contracts/submission';
import type { OutgoingRequest } from './sign-request';

/** Returns the headers to send for a request (adds the SigV4 ones on AWS). */
export type RequestSigner = (request: OutgoingRequest) => Promise<Record<string, string>>;

export interface ApiClientOptions {
  /** Base URL of the API, with the stage on AWS (`https://abc.execute-api.eu-west-1.amazonaws.com/prod`). */
  readonly baseUrl: string;
  /** @default requests are sent unsigned */
  readonly sign?: RequestSigner;
  /** @default the global fetch */
  readonly fetch?: typeof fetch;
  /** @default 30000 */
  readonly timeoutMs?: number;
}

/** The API answered with an error status; `body.message` says what happened. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorBody & Partial<SubmissionRejectedBody>,
    readonly request: string,
  ) {
    super(body.message);
    this.name = 'ApiError';
  }
}

/** The request never got an HTTP answer (refused, unknown host, timeout, TLS). */
export class EndpointUnreachableError extends Error {
  constructor(
    readonly url: string,
    readonly why: string,
  ) {
    super(`Cannot reach ${url}: ${why}.`);
    this.name = 'EndpointUnreachableError';
  }
}

/** The endpoint answered, but not the way athena-wlm does (not JSON). */
export class UnexpectedResponseError extends Error {
  constructor(
    readonly status: number,
    readonly request: string,
    excerpt: string,
  ) {
    super(`${request} answered HTTP ${status} with a body that is not athena-wlm's JSON: ${excerpt}`);
    this.name = 'UnexpectedResponseError';
  }
}

type Query = Readonly<Record<string, string | number | undefined>>;

const NETWORK_CAUSES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'unknown host',
  EAI_AGAIN: 'the host name could not be resolved (DNS)',
  ECONNRESET: 'the connection was reset',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'no route to the host',
  UND_ERR_CONNECT_TIMEOUT: 'the connection timed out',
  CERT_HAS_EXPIRED: 'its TLS certificate has expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'its TLS certificate is self-signed',
};

function networkCause(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return 'no answer in time';
  }
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code)
    return NETWORK_CAUSES[cause.code] ? `${NETWORK_CAUSES[cause.code]} (${cause.code})` : cause.code;
  return cause?.message ?? (error as Error).message ?? String(error);
}

/** The athena-wlm HTTP API, one method per route. */
export class ApiClient {
  readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  private readonly timeoutMs: number;

  constructor(private readonly options: ApiClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? fetch;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** `POST /workgroups/{class}/queries`, or `POST /athena/query` (the default class) without a class. */
  submit(body: SubmissionBody, className?: string): Promise<SuccessBody<typeof ROUTES.submit>> {
    return className
      ? this.call(ROUTES.submit, { className }, { body })
      : this.call(ROUTES.submitToDefaultClass, {}, { body });
  }

  getQuery(queryId: string): Promise<SuccessBody<typeof ROUTES.getQuery>> {
    return this.call(ROUTES.getQuery, { queryId });
  }

  results(
    queryId: string,
    page: { maxResults?: number; nextToken?: string } = {},
  ): Promise<SuccessBody<typeof ROUTES.getResults>> {
    return this.call(ROUTES.getResults, { queryId }, { query: page });
  }

  cancel(queryId: string): Promise<SuccessBody<typeof ROUTES.cancelQuery>> {
    return this.call(ROUTES.cancelQuery, { queryId });
  }

  list(filter: {
    className?: string;
    workgroup?: string;
    status?: string;
    userId?: string;
    limit?: number;
    nextToken?: string;
  }): Promise<SuccessBody<typeof ROUTES.listQueries>> {
    return this.call(ROUTES.listQueries, {}, { query: filter });
  }

  workgroups(): Promise<SuccessBody<typeof ROUTES.listWorkgroups>> {
    return this.call(ROUTES.listWorkgroups, {});
  }

  /** Calls one route of the table: its method, its path with the parameters filled in. */
  call<R extends RouteSpec>(
    route: R,
    parameters: Readonly<Record<PathParameters<R['path']>, string>>,
    options: { query?: Query; body?: unknown } = {},
  ): Promise<SuccessBody<R>> {
    return this.request(route.method, pathOf(route, parameters), options);
  }

  /** Sends one request; resolves with the JSON body of a 2xx, throws ApiError for any other status. */
  async request<T>(
    method: string,
    path: string,
    options: { query?: Query; body?: unknown } = {},
  ): Promise<T> {
    const url = new URL(`${this.baseUrl}${path}`);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined && value !== '') url.searchParams.set(key, String(value));
    }
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const unsigned: Record<string, string> = {
      accept: 'application/json',
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    };
    const headers = this.options.sign
      ? await this.options.sign({ method, url, headers: unsigned, body })
      : unsigned;
    const what = `${method} ${url.pathname}`;

    let response: Response;
    let text: string;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers,
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw new EndpointUnreachableError(this.baseUrl, networkCause(error));
    }

    let parsed: unknown;
    try {
      parsed = text === '' ? {} : JSON.parse(text);
    } catch {
      throw new UnexpectedResponseError(response.status, what, text.slice(0, 200).trim());
    }
    if (response.ok) return parsed as T;
    const errorBody = (parsed && typeof parsed === 'object' ? parsed : {}) as Record<string, unknown>;
    // API Gateway's own answers say `message` (or `Message` for some IAM denials).
    const message =
      typeof errorBody.message === 'string'
        ? errorBody.message
        : typeof errorBody.Message === 'string'
          ? errorBody.Message
          : `HTTP ${response.status} ${response.statusText}`.trim();
    throw new ApiError(response.status, { ...errorBody, message } as ApiError['body'], what);
  }
}
