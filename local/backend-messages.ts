import type { RouteRequest, RouteResponse } from './http/router';
import type { LocalRuntimeOptions } from './runtime';

/** The runtime options that cross to the back end thread (functions cannot: it logs on its own). */
export type BackendOptions = Omit<LocalRuntimeOptions, 'server' | 'clock' | 'log'>;

/** The back end thread's `workerData`. */
export interface BackendData {
  readonly options: BackendOptions;
  /** The edge's URL and port, which the back end's routes and links name. */
  readonly url: string;
  readonly port: number;
  /** Whether to send log lines to the edge (which has the runtime's `log`). */
  readonly log: boolean;
}

/** From the edge thread to the back end. */
export type ToBackend =
  | { readonly type: 'request'; readonly id: number; readonly request: RouteRequest }
  /** New submissions are on the `queries` queue: the starter looks now instead of after its idle pause. */
  | { readonly type: 'submitted' }
  | { readonly type: 'close' };

/** From the back end thread to the edge. */
export type FromBackend =
  | {
      readonly type: 'ready';
      /** The routes the back end serves, each forwarded to it unless the edge serves it. */
      readonly routes: readonly { readonly method: string; readonly template: string }[];
      /** Where the local Athena keeps `s3://` objects (the edge serves result files from there). */
      readonly s3Root: string;
    }
  | { readonly type: 'failed'; readonly name: string; readonly message: string }
  | { readonly type: 'response'; readonly id: number; readonly response: RouteResponse }
  | { readonly type: 'log'; readonly message: string; readonly fields?: Record<string, unknown> }
  | { readonly type: 'closed' };
