import { statSync } from 'node:fs';
import { join } from 'node:path';
import { DATABASE_FILE, type Database, openDatabase } from '../../../local/store/database';
import { GroupCommit } from '../../../local/store/group-commit';
import { tempDataDir } from './temp-db';

describe('GroupCommit', () => {
  let data: ReturnType<typeof tempDataDir>;
  let db: Database;
  const rows = () => (db.prepare('SELECT v FROM t ORDER BY v').all() as { v: string }[]).map((r) => r.v);
  const insert = (v: string) => () => db.prepare('INSERT INTO t (v) VALUES (?)').run(v).changes;
  /** Pages written to the WAL so far (no checkpoint runs: wal_autocheckpoint is 0). */
  const walFrames = () => {
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    return Math.round((statSync(join(data.dir, `${DATABASE_FILE}-wal`)).size - 32) / (pageSize + 24));
  };

  beforeEach(() => {
    data = tempDataDir();
    db = openDatabase(data.dir, { busyTimeoutMs: 0 });
    db.pragma('wal_autocheckpoint = 0');
    db.exec(`CREATE TABLE t (v TEXT PRIMARY KEY);
      CREATE TABLE parent (id INTEGER PRIMARY KEY);
      CREATE TABLE child (parent INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);`);
  });
  afterEach(() => {
    db.close();
    data.cleanup();
  });

  it('commits the writes of one turn of the event loop together, once', async () => {
    const commits = new GroupCommit(db);
    const before = walFrames();
    const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => commits.run(insert(`a${i}`))));
    const grouped = walFrames() - before;
    expect(answers).toEqual(Array.from({ length: 100 }, () => 1));
    expect(rows()).toHaveLength(100);

    // The same writes one transaction each write a WAL frame (at least) per commit.
    const alone = walFrames();
    for (let i = 0; i < 100; i++) db.transaction(insert(`b${i}`)).immediate();
    expect(walFrames() - alone).toBeGreaterThanOrEqual(100);
    expect(grouped).toBeLessThan(10);
  });

  it('rolls back a write that throws alone; the others of its batch commit', async () => {
    const commits = new GroupCommit(db);
    const results = await Promise.allSettled([
      commits.run(insert('one')),
      commits.run(() => {
        insert('half')();
        throw new Error('this write fails midway');
      }),
      commits.run(insert('two')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toEqual(new Error('this write fails midway'));
    expect(rows()).toEqual(['one', 'two']);
  });

  it('rejects every write of a batch whose commit fails, and stores none of them', async () => {
    const commits = new GroupCommit(db);
    // A deferred foreign key is checked at COMMIT: this write makes the whole commit fail.
    const results = await Promise.allSettled([
      commits.run(insert('kept?')),
      commits.run(() => db.prepare('INSERT INTO child (parent) VALUES (42)').run()),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect((results[0] as PromiseRejectedResult).reason).toMatchObject({
      code: 'SQLITE_CONSTRAINT_FOREIGNKEY',
    });
    expect(rows()).toEqual([]);
    expect(db.inTransaction).toBe(false);
    // The next batch commits as usual.
    await commits.run(insert('after'));
    expect(rows()).toEqual(['after']);
  });

  it('waits for a write lock another connection holds on a timer, serving the event loop meanwhile', async () => {
    const other = openDatabase(data.dir);
    try {
      other.prepare('BEGIN IMMEDIATE').run();
      const commits = new GroupCommit(db);
      let committed = false;
      const write = commits.run(insert('late')).then(() => {
        committed = true;
      });
      // Timers run while the batch waits: the thread is not asleep in SQLite's busy handler.
      let ticks = 0;
      await new Promise<void>((resolve) => {
        const timer = setInterval(() => {
          if (++ticks === 5) {
            clearInterval(timer);
            resolve();
          }
        }, 5);
      });
      expect(committed).toBe(false);
      other.prepare('COMMIT').run();
      await write;
      expect(rows()).toEqual(['late']);
    } finally {
      other.close();
    }
  });

  it('gives up on a write lock held longer than lockWaitMs, with SQLite busy', async () => {
    const other = openDatabase(data.dir);
    try {
      other.prepare('BEGIN IMMEDIATE').run();
      const commits = new GroupCommit(db, { lockWaitMs: 50 });
      await expect(commits.run(insert('never'))).rejects.toMatchObject({ code: 'SQLITE_BUSY' });
      other.prepare('ROLLBACK').run();
      expect(rows()).toEqual([]);
    } finally {
      other.close();
    }
  });
});
