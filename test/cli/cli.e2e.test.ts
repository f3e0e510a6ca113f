import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG, parseConfig } from '../../contracts/config';
import { startLocalRuntime } from '../../local/runtime';

/*
 * Runs the built `athena-wlm` binary (tsc with the build config, as `npm run build` does, into a private
 * directory so a concurrent build of dist/ is left alone) against local runtimes on ephemeral ports.
 */

const root = join(__dirname, '..', '..');
const outDir = join(root, 'node_modules', '.cache', `athena-wlm-cli-test-${process.pid}`);
const bin = join(outDir, 'cli', 'athena-wlm.js');

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.ATHENA_WLM_ENDPOINT;
  return env;
}

function cli(args: readonly string[], timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { env: childEnv(), timeout: timeoutMs },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Starts the binary in the background; `done` resolves when it exits. */
function cliInBackground(args: readonly string[]): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(process.execPath, [bin, ...args], { env: childEnv() });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => {
    stdout += d;
  });
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  const done = new Promise<Run>((resolve) =>
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr })),
  );
  return { child, done };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const VALUES_SQL =
  "SELECT * FROM (VALUES (1, 'plain'), (2, 'has, comma'), (3, 'says \"hi\"')) AS t(n, label) ORDER BY n";

let dataDir: string;
let slowDataDir: string;
let fast: { url: string; close(): Promise<void> };
let slow: { url: string; close(): Promise<void> };

beforeAll(async () => {
  const tsc = require.resolve('typescript/bin/tsc');
  const build = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', outDir], {
    cwd: root,
    encoding: 'utf8',
  });
  // Other parts of the tree may be mid-change; only errors in the CLI's own files or a missing binary fail here.
  const ours = build.stdout.split('\n').filter((l) => /^(cli\/|functions\/core\/openapi)/.test(l));
  if (!existsSync(bin) || ours.length > 0) throw new Error(`build failed:\n${build.stdout}${build.stderr}`);

  dataDir = mkdtempSync(join(tmpdir(), 'athena-wlm-cli-'));
  slowDataDir = mkdtempSync(join(tmpdir(), 'athena-wlm-cli-slow-'));
  const config = parseConfig(DEFAULT_CONFIG);
  fast = await startLocalRuntime({
    dataDir,
    config,
    port: 0,
    sampleData: { albLogLines: 2000 },
    latency: { queueMs: 150, planningMs: 150 },
  });
  // Queries here stay in Athena's queue for a minute: long enough to be cancelled.
  slow = await startLocalRuntime({
    dataDir: slowDataDir,
    config,
    port: 0,
    sampleData: false,
    latency: { queueMs: 60_000, planningMs: 0 },
  });
}, 240_000);

afterAll(async () => {
  await fast?.close();
  await slow?.close();
  for (const dir of [dataDir, slowDataDir, outDir]) if (dir) rmSync(dir, { recursive: true, force: true });
});

const on = (runtime: { url: string }, ...args: string[]) => ['--endpoint', runtime.url, ...args];

describe('the built athena-wlm binary', () => {
  it('starts with a node shebang and reports the package version', async () => {
    expect(readFileSync(bin, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version as string;
    await expect(cli(['--version'])).resolves.toMatchObject({ code: 0, stdout: `${version}\n` });
  });
});

describe('athena-wlm against the local runtime', () => {
  let queryId: string;

  it('submit --wait prints the id, a progress line per status change when not a TTY, and exits 0', async () => {
    const run = await cli(on(fast, 'submit', '--wait', VALUES_SQL));
    expect(run.stderr).not.toContain('athena-wlm:');
    expect(run.code).toBe(0);
    queryId = run.stdout.trim();
    expect(queryId).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]*$/);
    const progress = run.stderr.split('\n').filter((l) => l.startsWith('['));
    expect(progress.length).toBeGreaterThanOrEqual(2);
    for (const line of progress) {
      expect(line).toMatch(
        new RegExp(
          `^\\[\\d[\\dhms. ]*\\] ${queryId} (SUBMITTED|QUEUED|WAITING_FOR_SLOT|RUNNING|SUCCEEDED)\\b`,
        ),
      );
    }
    expect(progress.at(-1)).toContain(`${queryId} SUCCEEDED`);
    const statuses = progress.map(
      (l) => / (\w+)(:|$)/.exec(l.slice(l.indexOf(queryId) + queryId.length))?.[1],
    );
    expect(new Set(statuses).size).toBe(progress.length);
    expect(run.stderr).not.toContain('\r');
    expect(run.stderr).toContain(`Rows: athena-wlm --endpoint ${fast.url} results ${queryId}`);
  });

  it('prints the rows as csv, json and a table, the same rows the API returns', async () => {
    const api = (await (await fetch(`${fast.url}/queries/${queryId}/results`)).json()) as {
      columns: { name: string }[];
      rows: string[][];
    };
    expect(api.columns.map((c) => c.name)).toEqual(['n', 'label']);
    expect(api.rows).toEqual([
      ['1', 'plain'],
      ['2', 'has, comma'],
      ['3', 'says "hi"'],
    ]);

    const csv = await cli(on(fast, 'results', queryId, '--format', 'csv'));
    expect(csv).toMatchObject({ code: 0, stdout: 'n,label\n1,plain\n2,"has, comma"\n3,"says ""hi"""\n' });

    const json = await cli(on(fast, 'results', queryId, '--format', 'json'));
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual(api.rows.map(([n, label]) => ({ n, label })));

    const table = await cli(on(fast, 'results', queryId));
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^\s*n\s+label$/);
    expect(lines[1]).toMatch(/^integer\s+varchar$/);
    expect(lines[2]).toMatch(/^-+\s+-+$/);
    expect(lines.slice(3).map((l) => l.trim().split(/\s{2,}/))).toEqual(api.rows);
    expect(table.stderr).toContain('(3 rows)');
  });

  it('pages with --max-results and --next-token, and reads every page with --all', async () => {
    // Follow the "More rows" hint page by page, as a user would. (On Athena, and so locally, the first
    // page's header row counts toward maxResults, so page sizes are not all equal.)
    const lines: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const args = ['results', queryId, '--format', 'csv', '--max-results', '2'];
      const page = await cli(on(fast, ...args, ...(token ? ['--next-token', token] : [])));
      expect(page.code).toBe(0);
      const [header, ...rows] = page.stdout.trimEnd().split('\n');
      expect(header).toBe('n,label');
      lines.push(...rows.filter(Boolean));
      token = /--next-token '([^']+)'/.exec(page.stderr)?.[1];
      pages++;
    } while (token && pages < 10);
    expect(pages).toBeGreaterThan(1);
    expect(lines).toEqual(['1,plain', '2,"has, comma"', '3,"says ""hi"""']);

    const all = await cli(on(fast, 'results', queryId, '--format', 'json', '--max-results', '2', '--all'));
    expect(all.code).toBe(0);
    expect(JSON.parse(all.stdout)).toHaveLength(3);
    expect(all.stderr).not.toContain('--next-token');
  });

  it('shows status as text and JSON, and lists and classes', async () => {
    const text = await cli(on(fast, 'status', queryId));
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^Status\s+SUCCEEDED/m);
    expect(text.stdout).toMatch(/^Class\s+adhoc\b/m);

    const json = await cli(on(fast, '--json', 'status', queryId));
    expect(JSON.parse(json.stdout)).toMatchObject({ queryId, status: 'SUCCEEDED', finished: true });

    const list = await cli(on(fast, 'list', '--json', '--limit', '5', '--status', 'succeeded'));
    expect(list.code).toBe(0);
    const items = (JSON.parse(list.stdout) as { items: { queryId: string; status: string }[] }).items;
    expect(items.map((i) => i.queryId)).toContain(queryId);
    expect(items.every((i) => i.status === 'SUCCEEDED')).toBe(true);
    const listText = await cli(on(fast, 'list'));
    expect(listText.stdout.split('\n')[0]).toMatch(/^QUERY ID\s+CLASS\s+STATUS\s+SUBMITTED\s+ELAPSED\s+SQL$/);
    expect(listText.stdout).toContain(queryId);

    const classes = await cli(on(fast, 'classes'));
    expect(classes.code).toBe(0);
    expect(classes.stdout).toMatch(/^Slots in use: \d+/);
    for (const name of ['predictable', 'fast', 'long', 'exploratory', 'adhoc']) {
      expect(classes.stdout).toMatch(new RegExp(`^${name}\\s+\\d+`, 'm'));
    }
  });

  it('submits a file to a class and reads the sample data', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'athena-wlm-sql-'));
    const file = join(dir, 'verbs.sql');
    writeFileSync(
      file,
      'SELECT request_verb, COUNT(*) AS n FROM alb_logs GROUP BY request_verb ORDER BY n DESC\n',
    );
    try {
      const run = await cli(on(fast, 'submit', '--class', 'fast', '--wait', `@${file}`));
      expect(run.stderr).not.toContain('athena-wlm:');
      expect(run.code).toBe(0);
      const id = run.stdout.trim();
      const status = JSON.parse((await cli(on(fast, '--json', 'status', id))).stdout);
      expect(status).toMatchObject({ className: 'fast', status: 'SUCCEEDED' });
      const rows = JSON.parse((await cli(on(fast, 'results', id, '-f', 'json'))).stdout) as { n: string }[];
      expect(rows.reduce((sum, r) => sum + Number(r.n), 0)).toBe(2000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 1 with the reason when the query FAILED', async () => {
    const run = await cli(on(fast, 'submit', '--wait', 'SELECT * FROM no_such_table'));
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/athena-wlm: Query \S+ FAILED: /);
    expect(run.stderr).toContain('status');
  });

  it("exits 1 with the API's message for an unknown query id", async () => {
    const run = await cli(on(fast, 'status', 'no-such-query'));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('athena-wlm: No query with id no-such-query.');
    expect(run.stdout).toBe('');
  });

  it("exits 1 with the API's message for a bad submission and an unknown class", async () => {
    const bad = await cli(on(fast, 'submit', '--query-id', 'not valid!', 'SELECT 1'));
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('queryId:');
    const unknown = await cli(on(fast, 'submit', '--class', 'nope', 'SELECT 1'));
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("Unknown workload class 'nope'");
  });

  it('cancels a slow query; its waiting submitter exits 1; cancelling again is a 409 (exit 1)', async () => {
    const id = `cli-cancel-${Date.now()}`;
    const waiting = cliInBackground(on(slow, 'submit', '--wait', '--query-id', id, 'SELECT 42'));
    await until('the query to start', async () => {
      const response = await fetch(`${slow.url}/queries/${id}`);
      if (!response.ok) return undefined;
      const view = (await response.json()) as { status: string };
      return view.status === 'RUNNING' ? view : undefined;
    });

    const cancel = await cli(on(slow, 'cancel', id));
    expect(cancel).toMatchObject({ code: 0, stdout: `Cancelled ${id} (it was RUNNING).\n` });

    const waited = await waiting.done;
    expect(waited.code).toBe(1);
    expect(waited.stderr).toContain(`Query ${id} CANCELLED`);

    const status = JSON.parse((await cli(on(slow, '--json', 'status', id))).stdout);
    expect(status).toMatchObject({ status: 'CANCELLED', error: { code: 'CancelledByUser' } });

    const again = await cli(on(slow, 'cancel', id));
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`Query ${id} already CANCELLED`);

    const results = await cli(on(slow, 'results', id));
    expect(results.code).toBe(1);
    expect(results.stderr).toContain('CANCELLED, not SUCCEEDED');
  });

  it('cancels a query right after it was submitted, wherever it has got to', async () => {
    const id = `cli-cancel-queued-${Date.now()}`;
    const submitted = await cli(on(slow, 'submit', '--query-id', id, 'SELECT 1'));
    expect(submitted).toMatchObject({ code: 0, stdout: `${id}\n` });
    const cancel = await until('the ledger to know the query', async () => {
      const run = await cli(on(slow, 'cancel', id));
      return run.stderr.includes('No query with id') ? undefined : run;
    });
    expect(cancel.code).toBe(0);
    expect(cancel.stdout).toMatch(
      new RegExp(`^Cancelled ${id} \\(it was (QUEUED|WAITING_FOR_SLOT|RUNNING)\\)\\.$`, 'm'),
    );
  });
  it('cancels a query waiting for a slot while its class is full', async () => {
    const classes = JSON.parse((await cli(on(slow, '--json', 'classes'))).stdout) as {
      classes: { name: string; maxSlots: number }[];
    };
    const { maxSlots } = classes.classes.find((c) => c.name === 'adhoc')!;
    const stamp = Date.now();
    const holders = Array.from({ length: maxSlots }, (_, i) => `cli-hold-${stamp}-${i}`);
    const waiter = `cli-wait-${stamp}`;
    for (const id of [...holders, waiter]) {
      expect((await cli(on(slow, 'submit', '--class', 'adhoc', '--query-id', id, 'SELECT 1'))).code).toBe(0);
    }
    const status = async (id: string) => JSON.parse((await cli(on(slow, '--json', 'status', id))).stdout);
    const waiting = await until('the last query to wait for a slot', async () => {
      const view = await status(waiter);
      return view.status === 'WAITING_FOR_SLOT' ? view : undefined;
    });
    expect(waiting.reason).toBeTruthy();

    const cancel = await cli(on(slow, 'cancel', waiter));
    expect(cancel).toMatchObject({ code: 0, stdout: `Cancelled ${waiter} (it was WAITING_FOR_SLOT).\n` });
    expect(await status(waiter)).toMatchObject({ status: 'CANCELLED' });
    for (const id of holders) await cli(on(slow, 'cancel', id));
  });
});

describe('athena-wlm usage and connection errors', () => {
  it('exits 2 with the usage for a bad flag, sending nothing', async () => {
    const run = await cli(['--endpoint', 'http://127.0.0.1:1', 'status', '--bogus', 'q1']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("error: unknown option '--bogus'");
    expect(run.stderr).toContain('Usage: athena-wlm status [options] <queryId>');
    expect(run.stderr).not.toContain('Cannot reach');
  });

  it('exits 2 for a bad format, a missing argument or no command at all', async () => {
    expect((await cli(['results', 'q1', '--format', 'xml'])).code).toBe(2);
    expect((await cli(['results'])).code).toBe(2);
    expect((await cli([])).code).toBe(2);
  });

  it('exits 3 when nothing answers at the endpoint, and says what to do', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const run = await cli(['--endpoint', url, 'classes']);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`athena-wlm: Cannot reach ${url}: connection refused (ECONNREFUSED).`);
    expect(run.stderr).toContain('ApiUrl');
  });
});
