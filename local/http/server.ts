import { randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { type RouteResponse, type Router, readJsonBody, send } from './router';

export interface HttpServer {
  readonly url: string;
  close(): Promise<void>;
}

/** A server that holds its port and answers 503 until it is given its routes. */
export interface ListeningServer extends HttpServer {
  /** The port the server listens on (the one picked when 0 was asked for). */
  readonly port: number;
  route(router: Router): void;
}

/** How long the server waits on a client before it answers 408 (or drops an idle connection). */
export interface HttpTimeouts {
  /** Longest wait for a request's headers. @default 10_000 ms */
  readonly headersMs?: number;
  /** Longest wait for a whole request, headers and body. @default 30_000 ms */
  readonly requestMs?: number;
  /** Longest a connection may go without a byte either way (a stalled download included). @default 60_000 ms */
  readonly idleMs?: number;
}

export const DEFAULT_TIMEOUTS: Required<HttpTimeouts> = {
  headersMs: 10_000,
  requestMs: 30_000,
  idleMs: 60_000,
};

/** Checks a request before it is routed; an answer refuses it. */
export type RequestGuard = (request: IncomingMessage, port: number) => RouteResponse | undefined;

export interface ServeOptions {
  readonly host: string;
  readonly port: number;
  readonly onError?: (error: unknown) => void;
  readonly timeouts?: HttpTimeouts;
  readonly guard?: RequestGuard;
}

/** Thrown when the port is taken, with what to do about it. */
export class PortInUseError extends Error {
  constructor(host: string, port: number) {
    super(
      `Port ${port} on ${host} is already in use. Stop what uses it, or start on another port: npm start -- --port 8788`,
    );
    this.name = 'PortInUseError';
  }
}

const STARTING: RouteResponse = {
  statusCode: 503,
  headers: { 'retry-after': '1' },
  body: { message: 'athena-wlm is starting; try again in a second.' },
};

/** The response to one request: 4xx for what the request got wrong, 500 (logged) for our own failures. */
async function answer(
  router: Router | undefined,
  request: IncomingMessage,
  options: ServeOptions & { readonly actualPort: number },
): Promise<RouteResponse> {
  const url = requestUrl(request.url);
  if (!url) {
    return {
      statusCode: 400,
      body: { message: `The request target ${JSON.stringify(request.url)} is not a path.` },
    };
  }
  const refused = options.guard?.(request, options.actualPort);
  if (refused) return refused;
  if (!router) return STARTING;
  const method = request.method ?? 'GET';
  try {
    const matched = router.match(method, url.pathname);
    if (!('handler' in matched)) return matched;
    const body = method === 'GET' || method === 'HEAD' ? { body: undefined } : await readJsonBody(request);
    if ('statusCode' in body) return body;
    return await matched.handler({
      method,
      path: url.pathname,
      params: matched.params,
      query: Object.fromEntries(url.searchParams),
      headers: request.headers,
      body: body.body,
      requestId: randomUUID(),
      remoteAddress: request.socket.remoteAddress ?? 'unknown',
    });
  } catch (error) {
    options.onError?.(error);
    return { statusCode: 500, body: { message: `Internal error: ${(error as Error).message}` } };
  }
}

/** The request target as a URL, or undefined when it is not an origin-form path (`//a:99999`, `http://[`). */
function requestUrl(target: string | undefined): URL | undefined {
  if (!target?.startsWith('/') || target.startsWith('//')) return undefined;
  try {
    return new URL(target, 'http://localhost');
  } catch {
    return undefined;
  }
}

/** What to answer a request node's HTTP parser refused, or a request that timed out. */
function clientErrorAnswer(error: NodeJS.ErrnoException, timeouts: Required<HttpTimeouts>): RouteResponse {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return {
        statusCode: 431,
        body: { message: 'The request headers are larger than this server accepts (16 KiB in all).' },
      };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return {
        statusCode: 408,
        body: {
          message: `The request did not arrive in full in time (headers within ${timeouts.headersMs} ms, the whole request within ${timeouts.requestMs} ms). Check that Content-Length matches the body.`,
        },
      };
    case 'HPE_INVALID_METHOD':
      return {
        statusCode: 400,
        body: { message: 'Unknown HTTP method. This API uses GET, POST and DELETE.' },
      };
    default:
      return {
        statusCode: 400,
        body: {
          message: `The request is not valid HTTP/1.1 (${error.code ?? 'parse error'}: ${error.message}).`,
        },
      };
  }
}

/** A whole HTTP/1.1 answer with a JSON body, written straight to a socket the parser gave up on. */
function rawAnswer(result: RouteResponse): string {
  const body = `${JSON.stringify(result.body)}\n`;
  return [
    `HTTP/1.1 ${result.statusCode} ${STATUS_CODES[result.statusCode] ?? 'Error'}`,
    'content-type: application/json; charset=utf-8',
    'cache-control: no-store',
    `content-length: ${Buffer.byteLength(body)}`,
    'connection: close',
    '',
    body,
  ].join('\r\n');
}

/**
 * Listens on the port, then serves the router once `route` gives it (until then every request is
 * answered 503), so that nothing a caller must wait for happens before the port is known to be ours.
 * Every failure becomes a JSON answer: a bad request line, oversized headers, a slow or short body,
 * an unknown method, CONNECT; nothing a request carries ends the process.
 */
export async function listen(options: ServeOptions): Promise<ListeningServer> {
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  let router: Router | undefined;
  let actualPort = options.port;
  // Sockets a response was begun on: a late parser error there can only close the connection.
  const responding = new WeakSet<Socket>();
  const server: Server = createServer(
    {
      headersTimeout: timeouts.headersMs,
      requestTimeout: timeouts.requestMs,
      // How often node checks the two timeouts above; its default (30 s) would make them that coarse.
      connectionsCheckingInterval: Math.max(
        10,
        Math.min(1000, timeouts.headersMs / 4, timeouts.requestMs / 4),
      ),
      // A request without Host gets our own JSON 400 (the guard), not node's empty one.
      requireHostHeader: false,
    },
    (request, response) => {
      // Nothing a request carries may end the process: every failure, even one thrown before routing
      // (a request target `new URL` cannot parse), becomes a JSON answer.
      answer(router, request, { ...options, actualPort })
        .catch((error: unknown) => {
          options.onError?.(error);
          return { statusCode: 500, body: { message: 'Internal error.' } } satisfies RouteResponse;
        })
        .then((result) => {
          if (response.headersSent || response.destroyed) return;
          responding.add(request.socket);
          send(response, result);
        })
        .catch((error: unknown) => options.onError?.(error));
    },
  );
  server.keepAliveTimeout = Math.min(5000, timeouts.idleMs);
  server.setTimeout(timeouts.idleMs);
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable || responding.has(socket as Socket)) {
      socket.destroy();
      return;
    }
    socket.end(rawAnswer(clientErrorAnswer(error, timeouts)));
  });
  // An Expect other than 100-continue: node's own 417 has no body.
  server.on('checkExpectation', (_request: IncomingMessage, response: ServerResponse) => {
    send(response, {
      statusCode: 417,
      body: {
        message: 'Only Expect: 100-continue is understood; send the request without that Expect header.',
      },
    });
  });
  server.on('connect', (_request: IncomingMessage, socket: Duplex) => {
    socket.end(
      rawAnswer({ statusCode: 405, body: { message: 'CONNECT is not served: this is not a proxy.' } }),
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(options.host, options.port) : error),
    );
    server.listen(options.port, options.host, () => resolve());
  });
  // Errors after listening (a failed accept) are logged; they must not end the process.
  server.on('error', (error) => options.onError?.(error));
  actualPort = (server.address() as AddressInfo).port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${actualPort}`,
    port: actualPort,
    route: (r) => {
      router = r;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** Listens and serves the router at once. */
export async function serve(router: Router, options: ServeOptions): Promise<HttpServer> {
  const server = await listen(options);
  server.route(router);
  return server;
}
