/**
 * The fuzz target: `npm start`'s entry (local/main.ts) in a child process, so that "the process did not
 * die" is a fact, not an inference, and read-only looks at its SQLite database, so that "nothing was
 * enqueued" is counted where the queue and the ledger live.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { DATABASE_FILE } from '../../local/store/database';
import { LOCAL_QUEUES, LOCAL_TABLES } from '../../local/store/local-names';
import { killMain, type MainProcess, removeDir, spawnMain, tempDir } from '../local/e2e/support';
import { type RawAnswer, rawExchange } from '../support/raw-http';

/** Seconds a client has to send a whole request (short, so that cut-off bodies are answered quickly). */
export const REQUEST_TIMEOUT_S = 1;

export const FUZZ_CONFIG = {
  quota: { activeDmlQueries: 50, headroom: 0 },
  defaultClass: 'adhoc',
  classes: {
    adhoc: { guaranteedSlots: 0, maxSlots: 25 },
    etl: { guaranteedSlots: 0, maxSlots: 25, shareWithinClass: true },
  },
};

/** What the database holds: ledger records, and the highest queue message number given out so far. */
interface Snapshot {
  readonly records: number;
  readonly lastMessage: number;
}

/** What one request wrote: ledger records, and messages on the `queries` queue. */
export interface Written {
  readonly records: number;
  readonly messages: number;
}

/** A fuzz request and what came back. */
export interface Exchange {
  readonly request: Buffer;
  readonly answer: RawAnswer;
  readonly written: Written;
}

export class FuzzTarget {
  readonly counts = new Map<string, number>();
  private db?: BetterSqlite3.Database;

  private constructor(
    readonly main: MainProcess,
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(): Promise<FuzzTarget> {
    const dir = tempDir('fuzz');
    const configFile = join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify(FUZZ_CONFIG));
    const main = spawnMain([
      '--port',
      '0',
      '--data-dir',
      join(dir, 'data'),
      '--config',
      configFile,
      '--no-sample-data',
      '--request-timeout',
      String(REQUEST_TIMEOUT_S),
    ]);
    const url = await main.ready;
    return new FuzzTarget(main, Number(new URL(url).port), dir);
  }

  get alive(): boolean {
    return this.main.child.exitCode === null && this.main.child.signalCode === null;
  }

  private get database(): BetterSqlite3.Database {
    this.db ??= new BetterSqlite3(join(this.dir, 'data', DATABASE_FILE), { readonly: true });
    return this.db;
  }

  private snapshot(): Snapshot {
    const records = this.database
      .prepare<[string], { n: number }>('SELECT count(*) AS n FROM documents WHERE table_name = ?')
      .get(LOCAL_TABLES.ledger)?.n;
    const lastMessage = this.database
      .prepare<[], { seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = 'queue_messages'")
      .get()?.seq;
    return { records: records ?? 0, lastMessage: lastMessage ?? 0 };
  }

  /**
   * What was written since the snapshot: records, and messages put on `queries` (the dispatcher's own
   * queue takes messages of earlier queries meanwhile). A message the starter already took has made
   * its record, which is counted.
   */
  private writtenSince(before: Snapshot): Written {
    const messages = this.database
      .prepare<[string, number], { n: number }>(
        'SELECT count(*) AS n FROM queue_messages WHERE queue = ? AND seq > ?',
      )
      .get(LOCAL_QUEUES.queries, before.lastMessage)?.n;
    return { records: this.snapshot().records - before.records, messages: messages ?? 0 };
  }

  /** Sends one request on a connection of its own and notes the status it got. */
  async exchange(request: Buffer, { head = false } = {}): Promise<Exchange> {
    const before = this.snapshot();
    const answer = await rawExchange(this.port, request, {
      timeoutMs: (REQUEST_TIMEOUT_S + 3) * 1000,
      head,
    });
    const written = this.writtenSince(before);
    const key = answer.status === undefined ? 'none' : String(answer.status);
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    return { request, answer, written };
  }

  /** Requests sent so far, by status. */
  summary(): string {
    const total = [...this.counts.values()].reduce((a, b) => a + b, 0);
    const byStatus = [...this.counts.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([status, n]) => `${status}: ${n}`)
      .join(', ');
    return `${total} requests (${byStatus})`;
  }

  async stop(): Promise<void> {
    this.db?.close();
    await killMain(this.main);
    removeDir(this.dir);
  }
}

/**
 * What every answer must be: a status, 2xx or 4xx (never 5xx, never nothing), a JSON body with a
 * message on a 4xx, and no new record or message on a 4xx. Returns the problem, or undefined.
 */
export function problemWith(exchange: Exchange, { head = false } = {}): string | undefined {
  const { answer, written } = exchange;
  if (answer.status === undefined) return 'no answer';
  if (answer.status >= 500) return `answered ${answer.status}: ${answer.body.slice(0, 300)}`;
  if (answer.status < 200 || (answer.status >= 300 && answer.status < 400))
    return `answered ${answer.status}, neither 2xx nor 4xx`;
  if (answer.status >= 400) {
    if (written.records !== 0 || written.messages !== 0)
      return `answered ${answer.status} but wrote ${written.records} records and ${written.messages} messages`;
    if (!/^application\/json/.test(answer.headers['content-type'] ?? ''))
      return `answered ${answer.status} with content-type ${answer.headers['content-type']}`;
    if (head) return undefined;
    try {
      const body = JSON.parse(answer.body) as { message?: unknown };
      if (typeof body.message !== 'string')
        return `answered ${answer.status} with a JSON body without message`;
    } catch {
      return `answered ${answer.status} with a body that is not JSON: ${answer.body.slice(0, 200)}`;
    }
  }
  if (written.records > 1 || written.messages > 1)
    return `one request wrote ${written.records} records and ${written.messages} messages`;
  return undefined;
}
