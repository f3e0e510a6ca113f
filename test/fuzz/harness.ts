/**
 * The fuzz target: `npm start`'s entry (local/main.ts) in a child process, so that "the process did not
 * die" is a fact, not an inference, and read-only looks at its SQLite database, so that "nothing was
 * enqueued" is counted where the queue and the ledger live.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { DATABASE_FILE } from '../../local/store/database';
import { LOCAL_TABLES } from '../../local/store/local-names';
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

/** What the database says was written: ledger records, and queue messages ever sent. */
export interface Written {
  readonly records: number;
  readonly messages: number;
}

/** A fuzz request and what came back. */
export interface Exchange {
  readonly request: Buffer;
  readonly answer: RawAnswer;
  readonly before: Written;
  readonly after: Written;
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

  written(): Written {
    this.db ??= new BetterSqlite3(join(this.dir, 'data', DATABASE_FILE), { readonly: true });
    const records = this.db
      .prepare<[string], { n: number }>('SELECT count(*) AS n FROM documents WHERE table_name = ?')
      .get(LOCAL_TABLES.ledger)?.n;
    const messages = this.db
      .prepare<[], { seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = 'queue_messages'")
      .get()?.seq;
    return { records: records ?? 0, messages: messages ?? 0 };
  }

  /** Sends one request on a connection of its own and notes the status it got. */
  async exchange(request: Buffer, { head = false } = {}): Promise<Exchange> {
    const before = this.written();
    const answer = await rawExchange(this.port, request, {
      timeoutMs: (REQUEST_TIMEOUT_S + 3) * 1000,
      head,
    });
    const after = this.written();
    const key = answer.status === undefined ? 'none' : String(answer.status);
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    return { request, answer, before, after };
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
  const { answer, before, after } = exchange;
  if (answer.status === undefined) return 'no answer';
  if (answer.status >= 500) return `answered ${answer.status}: ${answer.body.slice(0, 300)}`;
  if (answer.status < 200 || (answer.status >= 300 && answer.status < 400))
    return `answered ${answer.status}, neither 2xx nor 4xx`;
  if (answer.status >= 400) {
    if (after.records !== before.records || after.messages !== before.messages)
      return `answered ${answer.status} but wrote ${after.records - before.records} records and ${after.messages - before.messages} messages`;
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
  if (after.records - before.records > 1 || after.messages - before.messages > 1)
    return `one request wrote ${after.records - before.records} records and ${after.messages - before.messages} messages`;
  return undefined;
}
