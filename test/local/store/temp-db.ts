import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Database, openDatabase } from '../../../local/store/database';

/** A data dir in the OS temp dir, removed by `cleanup`. */
export function tempDataDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'athena-wlm-test-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A clock the test moves by hand. */
export function manualClock(start = Date.parse('2026-01-01T00:00:00.000Z')) {
  let now = start;
  const clock = () => new Date(now);
  return Object.assign(clock, {
    advance(ms: number) {
      now += ms;
    },
  });
}

/** Opens a fresh database in a temp dir; `reopen` closes it and opens the same file again. */
export function tempDatabase() {
  const { dir, cleanup } = tempDataDir();
  const state = { db: openDatabase(dir) as Database };
  return {
    dir,
    get db() {
      return state.db;
    },
    reopen() {
      state.db.close();
      state.db = openDatabase(dir);
      return state.db;
    },
    close() {
      if (state.db.open) state.db.close();
      cleanup();
    },
  };
}
