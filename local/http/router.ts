import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** A parsed request as route handlers see it. */
export interface RouteRequest {
  readonly method: string;
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string | undefined>>;
  readonly headers: Readonly<IncomingHttpHeaders>;
  readonly body: unknown;
  readonly requestId: string;
  readonly remoteAddress: string;
}

export interface RouteResponse {
  readonly statusCode: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** Raw bytes (static files) instead of a JSON body. */
  readonly raw?: Buffer | string;
  /** A body streamed as it is read (result files), instead of one held in memory. */
  readonly stream?: Readable;
}

export type RouteHandler = (request: RouteRequest) => Promise<RouteResponse> | RouteResponse;

/** A check before a handler: an answer refuses the request, undefined lets it through. */
export type RouteGuard = (request: RouteRequest) => RouteResponse | undefined;

interface Route {
  readonly method: string;
  readonly template: string;
  readonly pattern: RegExp;
  readonly names: readonly string[];
  readonly handler: RouteHandler;
}

/** Largest request body accepted: Athena's 256 KiB query plus room for the JSON around it. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** A small method + path router: `/queries/{queryId}` style templates, JSON in and out. */
export class Router {
  private readonly routes: Route[] = [];
  private readonly guards: { readonly prefix: string; readonly check: RouteGuard }[] = [];

  /** Runs `check` before the handler of every route under `prefix`; an answer refuses the request. */
  protect(prefix: string, check: RouteGuard): this {
    this.guards.push({ prefix, check });
    return this;
  }

  add(method: string, template: string, handler: RouteHandler): this {
    const names: string[] = [];
    const pattern = template.replace(/\{(\w+)\}/g, (_, name: string) => {
      names.push(name);
      return '([^/]+)';
    });
    this.routes.push({ method, template, pattern: new RegExp(`^${pattern}/?$`), names, handler });
    return this;
  }

  /** The routes served, as method and path template. */
  list(): { readonly method: string; readonly template: string }[] {
    return this.routes.map(({ method, template }) => ({ method, template }));
  }

  /** The handler for a request, or the HTTP error that explains why there is none. */
  match(
    method: string,
    path: string,
  ): { handler: RouteHandler; params: Record<string, string> } | RouteResponse {
    const onPath = this.routes
      .map((route) => ({ route, match: route.pattern.exec(path) }))
      .filter((m): m is { route: Route; match: RegExpExecArray } => m.match !== null);
    if (onPath.length === 0) return { statusCode: 404, body: { message: `No route for ${method} ${path}.` } };
    const found = onPath.find((m) => m.route.method === method);
    if (!found) {
      const allowed = [...new Set(onPath.map((m) => m.route.method))].join(', ');
      return {
        statusCode: 405,
        headers: { allow: allowed },
        body: { message: `${method} is not allowed on ${path}; use ${allowed}.` },
      };
    }
    const params: Record<string, string> = {};
    for (const [i, name] of found.route.names.entries()) {
      const raw = found.match[i + 1];
      try {
        params[name] = decodeURIComponent(raw);
      } catch {
        return {
          statusCode: 400,
          body: {
            message: `${name}: '${raw.slice(0, 100)}' is not valid percent-encoding (each %XX must spell UTF-8 bytes); encode the value with encodeURIComponent.`,
            field: name,
          },
        };
      }
    }
    const guards = this.guards.filter((g) => found.route.template.startsWith(g.prefix));
    const { handler } = found.route;
    if (guards.length === 0) return { handler, params };
    return {
      handler: (request) => {
        for (const guard of guards) {
          const refused = guard.check(request);
          if (refused) return refused;
        }
        return handler(request);
      },
      params,
    };
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/** Offset of the first byte that breaks UTF-8 (the decoder only says that one does). */
function firstInvalidUtf8(bytes: Buffer): number {
  let good = 0;
  let bad = bytes.length;
  // The longest valid prefix, by bisection: a prefix that decodes (or ends inside a character) is good.
  while (bad - good > 1) {
    const mid = (good + bad) >> 1;
    const prefix = new TextDecoder('utf-8', { fatal: true });
    try {
      prefix.decode(bytes.subarray(0, mid), { stream: true });
      good = mid;
    } catch {
      bad = mid;
    }
  }
  return good;
}

/** Whether a Content-Type is JSON in UTF-8 (the only charset JSON has). */
function isJson(contentType: string): boolean {
  const [type, ...params] = contentType.split(';').map((part) => part.trim().toLowerCase());
  if (type !== 'application/json') return false;
  const charset = params
    .find((p) => p.startsWith('charset='))
    ?.slice('charset='.length)
    .replace(/"/g, '');
  return charset === undefined || charset === 'utf-8' || charset === 'utf8';
}

/**
 * Reads a JSON body; answers 400/413/415 the way API Gateway's validator would. A POST must say
 * `Content-Type: application/json`, body or not: the types a web page can send anywhere without
 * asking first (text/plain, forms) are refused before the body is read.
 */
export async function readJsonBody(request: IncomingMessage): Promise<{ body: unknown } | RouteResponse> {
  const contentType = request.headers['content-type'];
  const hasBody = Number(request.headers['content-length'] ?? 0) > 0 || request.headers['transfer-encoding'];
  if ((request.method === 'POST' || hasBody) && !isJson(contentType ?? '')) {
    return {
      statusCode: 415,
      body: {
        message: `Send the body as JSON with Content-Type: application/json${contentType ? `, not ${contentType.slice(0, 100)}` : ''}.`,
        header: 'Content-Type',
      },
    };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of request) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) {
        return {
          statusCode: 413,
          body: { message: `The request body is larger than ${MAX_BODY_BYTES} bytes.` },
        };
      }
      chunks.push(chunk as Buffer);
    }
  } catch {
    // The client went away (or the request timed out) before the body was complete.
    return { statusCode: 400, body: { message: 'The request body was cut off before its end.' } };
  }
  const bytes = Buffer.concat(chunks);
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    // Decoding with replacement would run a query the client never wrote (each bad byte a U+FFFD).
    return {
      statusCode: 400,
      body: {
        message: `The request body is not valid UTF-8 (first bad byte at offset ${firstInvalidUtf8(bytes)}); send JSON as UTF-8 text.`,
        field: 'body',
      },
    };
  }
  if (text.trim() === '') return { body: undefined };
  try {
    return { body: JSON.parse(text) };
  } catch (error) {
    return { statusCode: 400, body: { message: `The body is not valid JSON: ${(error as Error).message}` } };
  }
}

export function send(response: ServerResponse, result: RouteResponse): void {
  const headers: Record<string, string> = { 'cache-control': 'no-store', ...result.headers };
  if (result.stream) {
    response.writeHead(result.statusCode, headers);
    // A client that goes away ends the pipeline, which closes the file; there is no one left to answer.
    pipeline(result.stream, response).catch(() => undefined);
    return;
  }
  if (result.raw !== undefined) {
    response.writeHead(result.statusCode, headers);
    response.end(result.raw);
    return;
  }
  response.writeHead(result.statusCode, { 'content-type': 'application/json; charset=utf-8', ...headers });
  response.end(result.body === undefined ? '' : `${JSON.stringify(result.body)}\n`);
}
