import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type RouteResponse, type Router, readJsonBody, send } from './router';

export interface HttpServer {
  readonly url: string;
  close(): Promise<void>;
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

/** The response to one request: 4xx for what the request got wrong, 500 (logged) for our own failures. */
async function answer(
  router: Router,
  request: IncomingMessage,
  onError?: (error: unknown) => void,
): Promise<RouteResponse> {
  const url = requestUrl(request.url);
  if (!url) {
    return {
      statusCode: 400,
      body: { message: `The request target ${JSON.stringify(request.url)} is not a path.` },
    };
  }
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
      body: body.body,
      requestId: randomUUID(),
      remoteAddress: request.socket.remoteAddress ?? 'unknown',
    });
  } catch (error) {
    onError?.(error);
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

/** Serves a router over HTTP; every failure becomes a JSON answer, never a dropped connection. */
export async function serve(
  router: Router,
  options: { host: string; port: number; onError?: (error: unknown) => void },
): Promise<HttpServer> {
  const server: Server = createServer((request, response) => {
    // Nothing a request carries may end the process: every failure, even one thrown before routing
    // (a request target `new URL` cannot parse), becomes a JSON answer.
    answer(router, request, options.onError)
      .catch((error: unknown) => {
        options.onError?.(error);
        return { statusCode: 500, body: { message: 'Internal error.' } } satisfies RouteResponse;
      })
      .then((result) => {
        if (!response.headersSent) send(response, result);
      })
      .catch((error: unknown) => options.onError?.(error));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(options.host, options.port) : error),
    );
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
