/**
 * The back end of the threaded runtime (local/threaded-runtime.ts), on a worker thread of its own: the
 * whole local runtime (starter, dispatcher, Step Functions, Athena, the schedules and the routes that
 * read them), answering the requests the edge thread forwards. It runs at a lower scheduling priority
 * than the edge, and so do the engine threads it starts: when the CPU is short, intake comes first and
 * the back end works through the durable backlog with what is left.
 */
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { BackendData, FromBackend, ToBackend } from './backend-messages';
import type { RouteRequest, RouteResponse, Router } from './http/router';
import { type LocalRuntime, startLocalRuntime } from './runtime';
import { TEST_FAULTS_ENV, testFaults } from './test-faults';

/** The back end's nice value (0 is the edge's; 19 the lowest priority). */
const BACKEND_NICENESS = 10;

if (!parentPort)
  throw new Error('local/backend-thread.ts runs as a worker thread of local/threaded-runtime.ts');
const port = parentPort;
const data = workerData as BackendData;
const post = (message: FromBackend) => port.postMessage(message);
const log = data.log
  ? (message: string, fields?: Record<string, unknown>) => post({ type: 'log', message, fields })
  : undefined;

let router: Router | undefined;
try {
  // On Linux a thread's nice value is its own: this lowers the back end and the threads it starts.
  setPriority(BACKEND_NICENESS);
} catch (error) {
  log?.('could not lower the back end thread priority', { error: (error as Error).message });
}

async function start(): Promise<void> {
  let runtime: LocalRuntime;
  let stallMs: number | undefined;
  try {
    stallMs = testFaults().stallBackendMs;
    runtime = await startLocalRuntime({
      ...data.options,
      ...(log ? { log } : {}),
      server: {
        url: data.url,
        port: data.port,
        route: (r) => {
          router = r;
        },
        // The edge owns the socket.
        close: async () => {},
      },
    });
  } catch (error) {
    const { name, message } = error instanceof Error ? error : new Error(String(error));
    post({ type: 'failed', name, message });
    return;
  }
  port.on('message', (message: ToBackend) => void handle(message, runtime));
  post({ type: 'ready', routes: router?.list() ?? [], s3Root: runtime.athena.s3Root });
  if (stallMs) {
    log?.(`stalling the back end for ${stallMs} ms (${TEST_FAULTS_ENV})`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, stallMs);
  }
}

void start();

async function handle(message: ToBackend, runtime: LocalRuntime): Promise<void> {
  switch (message.type) {
    case 'request': {
      const response = await answer(message.request);
      try {
        post({ type: 'response', id: message.id, response });
      } catch (error) {
        // A body that cannot be copied to the edge (a stream): our failure, answered as one.
        log?.('response could not be sent to the edge', { error: (error as Error).message });
        post({ type: 'response', id: message.id, response: internalError(error) });
      }
      return;
    }
    case 'submitted':
      runtime.starter.poke();
      return;
    case 'close':
      await runtime.close();
      post({ type: 'closed' });
  }
}

async function answer(request: RouteRequest): Promise<RouteResponse> {
  if (!router) return internalError(new Error('the back end has no routes'));
  const matched = router.match(request.method, request.path);
  if (!('handler' in matched)) return matched;
  try {
    return await matched.handler({ ...request, params: matched.params });
  } catch (error) {
    log?.('request failed', { error: (error as Error).stack });
    return internalError(error);
  }
}

function internalError(error: unknown): RouteResponse {
  return { statusCode: 500, body: { message: `Internal error: ${(error as Error).message}` } };
}
