/**
 * `npm start`'s entry (local/main.ts) as a child process: what a newcomer sees when the config file
 * is broken or the port is taken. It must stop with exit code 1 and a message that says what to do.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { killMain, type MainProcess, removeDir, spawnMain, tempDir } from './support';

describe('npm start refuses to start', () => {
  let dir: string;
  const started: MainProcess[] = [];

  beforeAll(() => {
    dir = tempDir('entry');
  });

  afterAll(async () => {
    await Promise.all(started.map((main) => killMain(main)));
    removeDir(dir);
  });

  async function run(args: readonly string[]) {
    const main = spawnMain(args);
    started.push(main);
    const { code } = await main.exited;
    return { code, ...main.output() };
  }

  it('with a config file that is not JSON, naming the file and where it breaks', async () => {
    const file = join(dir, 'not-json.json');
    writeFileSync(file, '{ "classes": { "etl": { "maxSlots": 2, } }');
    const dataDir = join(dir, 'data-not-json');

    const { code, stderr, stdout } = await run(['--config', file, '--data-dir', dataDir, '--port', '0']);

    expect(code).toBe(1);
    expect(stderr).toContain(`Cannot read athena-wlm config ${file}`);
    expect(stderr).toMatch(/JSON/);
    expect(stdout).not.toMatch(/is running at/);
    expect(existsSync(dataDir)).toBe(false);
  }, 30_000);

  describe('with a config that does not validate', () => {
    const file = () => join(dir, 'invalid.json');
    const dataDir = () => join(dir, 'data-invalid');
    let result: Awaited<ReturnType<typeof run>>;

    beforeAll(async () => {
      writeFileSync(
        file(),
        JSON.stringify({
          quota: { activeDmlQueries: 5, headroom: 1 },
          defaultClass: 'etl',
          classes: {
            etl: { guaranteedSlots: 3, maxSlots: 2 },
            'Bad Name': { guaranteedSlots: 0, maxSlots: 1 },
          },
        }),
      );
      result = await run(['--config', file(), '--data-dir', dataDir(), '--port', '0']);
    }, 30_000);

    it('names each bad key, and how to fix a bad value', () => {
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`Invalid athena-wlm config file ${file()}`);
      expect(result.stderr).toMatch(
        /config\.classes\.etl\.guaranteedSlots: guaranteedSlots \(3\) is more than maxSlots \(2\); raise maxSlots or lower the guarantee/,
      );
      expect(result.stderr).toMatch(/config\.classes\.Bad Name: /);
      expect(result.stdout).not.toMatch(/is running at/);
      expect(existsSync(dataDir())).toBe(false);
    });

    it('says what a class name may be', () => {
      expect(result.stderr).toMatch(/config\.classes\.Bad Name: class names are 1 to 32 lowercase letters/);
    });
  });

  it.each([
    ['the runtime database', ['athena-wlm.db']],
    ["the local Athena's execution store", ['athena', 'executions.sqlite']],
  ])(
    'on a corrupt SQLite file (%s), naming the file and what to do, without a stack trace',
    async (_what, parts) => {
      const dataDir = join(dir, `data-corrupt-${parts.join('-')}`);
      const file = join(dataDir, ...parts);
      mkdirSync(join(file, '..'), { recursive: true });
      writeFileSync(file, 'this is not an SQLite database, whatever its name says '.repeat(100));

      const { code, stderr, stdout } = await run(['--data-dir', dataDir, '--port', '0', '--no-sample-data']);

      expect(code).toBe(1);
      expect(stderr).toContain(`Cannot use ${file}: it is not a readable SQLite database`);
      expect(stderr).toMatch(/move it aside to start with an empty one/);
      expect(stderr).not.toMatch(/^\s+at /m);
      expect(stdout).not.toMatch(/is running at/);
    },
    30_000,
  );

  it('on a port in use, before the slow first-start work, telling how to pick another port', async () => {
    const blocker: Server = createServer();
    const port = await new Promise<number>((resolve) =>
      blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)),
    );
    const dataDir = join(dir, 'data-port');
    try {
      // With the sample data on (the default): the port must be refused before the tables are generated.
      const { code, stderr, stdout } = await run(['--port', String(port), '--data-dir', dataDir]);

      expect(code).toBe(1);
      expect(stderr).toContain(`Port ${port} on 127.0.0.1 is already in use.`);
      expect(stderr).toMatch(/Stop what uses it, or start on another port: npm start -- --port \d+/);
      expect(stdout).not.toMatch(/is running at/);
      expect(existsSync(join(dataDir, 'athena', 's3', 'athena-wlm-sample'))).toBe(false);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  }, 30_000);
});
