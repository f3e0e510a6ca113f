import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
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

/** Serves a router over HTTP; every failure becomes a JSON answer, never a dropped connection. */
export async function serve(
  router: Router,
  options: { host: string; port: number; onError?: (error: unknown) => void },
): Promise<HttpServer> {
  const server: Server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const method = request.method ?? 'GET';
    let result: RouteResponse;
    try {
      const matched = router.match(method, url.pathname);
      if (!('handler' in matched)) {
        result = matched;
      } else {
        const body =
          method === 'GET' || method === 'HEAD' ? { body: undefined } : await readJsonBody(request);
        result =
          'statusCode' in body
            ? body
            : await matched.handler({
                method,
                path: url.pathname,
                params: matched.params,
                query: Object.fromEntries(url.searchParams),
                body: body.body,
                requestId: randomUUID(),
                remoteAddress: request.socket.remoteAddress ?? 'unknown',
              });
      }
    } catch (error) {
      options.onError?.(error);
      result = { statusCode: 500, body: { message: `Internal error: ${(error as Error).message}` } };
    }
    send(response, result);
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
