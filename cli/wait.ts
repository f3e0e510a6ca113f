import type { QueryViewBody } from '../contracts/responses';
import { ApiError } from './api-client';
import { formatDuration } from './format';

/** Where progress goes: stderr, so that stdout keeps only the answer. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): unknown;
}

export interface WaitOptions {
  readonly stream: ProgressStream;
  /** First pause between polls; it grows by half each poll up to `maxPollMs`, and restarts on a change. */
  readonly initialPollMs?: number;
  readonly maxPollMs?: number;
  /**
   * How long an unknown id counts as "still in the intake queue" (on AWS the ledger record is written by
   * the starter, a moment after the API accepted the query).
   */
  readonly notFoundGraceMs?: number;
  /** How often the terminal line is redrawn with the new elapsed time. */
  readonly redrawMs?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** What the progress line shows. */
interface Progress {
  readonly status: string;
  readonly reason?: string;
  /** Elapsed time at `at` (server's count since submission, or ours before the ledger has the query). */
  readonly elapsedMs: number;
  readonly at: number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The progress as one line: `[12.3s] q-1 WAITING_FOR_SLOT: class fast has 6 of 6 slots in use`. */
export function progressLine(queryId: string, progress: Progress, now: number): string {
  const elapsed = formatDuration(progress.elapsedMs + Math.max(0, now - progress.at));
  return `[${elapsed}] ${queryId} ${progress.status}${progress.reason ? `: ${progress.reason}` : ''}`;
}

/**
 * Polls `GET /queries/{id}` with backoff until the query has finished and returns its last view. On a
 * terminal the progress is one line redrawn in place (status, reason, elapsed); otherwise a plain line is
 * written each time the status changes.
 */
export async function waitForQuery(
  client: { getQuery(queryId: string): Promise<QueryViewBody> },
  queryId: string,
  options: WaitOptions,
): Promise<QueryViewBody> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? defaultSleep;
  const initialPollMs = options.initialPollMs ?? 500;
  const maxPollMs = options.maxPollMs ?? 5000;
  const graceMs = options.notFoundGraceMs ?? 30_000;
  const { stream } = options;
  const tty = stream.isTTY === true;
  const began = now();

  let shown: Progress | undefined;
  const draw = () => {
    if (!shown) return;
    const width = Math.max(20, (stream.columns || 100) - 1);
    stream.write(`\r\x1b[2K${progressLine(queryId, shown, now()).slice(0, width)}`);
  };
  const ticker = tty ? setInterval(draw, options.redrawMs ?? 250) : undefined;
  ticker?.unref();

  const show = (next: Progress) => {
    const changed = next.status !== shown?.status;
    shown = next;
    if (tty) draw();
    else if (changed) stream.write(`${progressLine(queryId, next, now())}\n`);
    return changed;
  };

  try {
    let pause = initialPollMs;
    for (;;) {
      let view: QueryViewBody | undefined;
      try {
        view = await client.getQuery(queryId);
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 404 && now() - began < graceMs)) throw error;
      }
      const at = now();
      const changed = show(
        view
          ? { status: view.status, reason: view.reason, elapsedMs: view.elapsedMs, at }
          : {
              status: 'SUBMITTED',
              reason: 'accepted, not yet picked up from the intake queue',
              elapsedMs: at - began,
              at,
            },
      );
      if (view?.finished) return view;
      pause = changed ? initialPollMs : Math.min(maxPollMs, Math.round(pause * 1.5));
      await sleep(pause);
    }
  } finally {
    if (ticker) clearInterval(ticker);
    if (tty && shown) stream.write('\n');
  }
}
