/**
 * The parse cache of a RegexSerDe table. RE2 (DuckDB's regex engine) needs about 0.1 ms to capture
 * the groups of one ALB log line, so parsing 200,000 lines on every query would take seconds. Each
 * log file is parsed once into `<cacheDir>/<md5 of its path>_<n>.parquet`; a manifest records the
 * size and mtime it was parsed at. Before a query that names the table, files that are new or
 * changed are parsed (in one COPY, in parallel) and the entries of deleted files dropped, so that
 * the table still reads every file under its location, as Athena does.
 *
 * Billing is unchanged by the cache: a query over the table is billed the size of the log files
 * (see AthenaEngine.billedScan), as Athena bills the text it reads.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { visibleFiles } from './files';
import { quoteLiteral } from './hive-types';
import { regexParseSql, type TableSpec } from './tables';

interface ManifestEntry {
  size: number;
  mtimeMs: number;
  id: string;
}

interface Manifest {
  files: Record<string, ManifestEntry>;
}

export class RegexTableCache {
  private manifest: Manifest;
  private building: Promise<void> | undefined;

  constructor(
    readonly dir: string,
    private readonly spec: TableSpec,
    private readonly sourceDir: string,
  ) {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, '_manifest.json');
    this.manifest = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Manifest) : { files: {} };
  }

  /** Whether the cache holds at least one parsed row file. */
  hasData(): boolean {
    return readdirSync(this.dir).some((name) => name.endsWith('.parquet') && !name.startsWith('_'));
  }

  /** Bytes of the log files behind the cache, and how many cache files hold their rows. */
  sourceBytes(): { bytes: number; cacheFiles: number } {
    const bytes = Object.values(this.manifest.files).reduce((sum, e) => sum + e.size, 0);
    const cacheFiles = readdirSync(this.dir).filter(
      (n) => n.endsWith('.parquet') && !n.startsWith('_'),
    ).length;
    return { bytes, cacheFiles };
  }

  /**
   * Brings the cache up to date with the files under the table location (one build at a time).
   * `run` runs the engine's COPY that parses the files.
   */
  async refresh(run: (sql: string) => Promise<unknown>): Promise<void> {
    while (this.building) await this.building.catch(() => undefined);
    const { changed, removed, current } = this.diff();
    if (changed.length === 0 && removed.length === 0) return;
    this.building = this.build(run, changed, removed, current);
    try {
      await this.building;
    } finally {
      this.building = undefined;
    }
  }

  private diff(): {
    changed: string[];
    removed: string[];
    current: Map<string, { size: number; mtimeMs: number }>;
  } {
    const current = new Map<string, { size: number; mtimeMs: number }>();
    for (const file of visibleFiles(this.sourceDir)) {
      try {
        const stat = statSync(file);
        current.set(file, { size: stat.size, mtimeMs: stat.mtimeMs });
      } catch {
        // deleted between listing and stat
      }
    }
    const changed = [...current.entries()]
      .filter(([file, stat]) => {
        const entry = this.manifest.files[file];
        return !entry || entry.size !== stat.size || entry.mtimeMs !== stat.mtimeMs;
      })
      .map(([file]) => file);
    const removed = Object.keys(this.manifest.files).filter((file) => !current.has(file));
    return { changed, removed, current };
  }

  private async build(
    run: (sql: string) => Promise<unknown>,
    changed: string[],
    removed: string[],
    current: Map<string, { size: number; mtimeMs: number }>,
  ): Promise<void> {
    const staging = join(this.dir, `_build-${randomUUID()}`);
    try {
      if (changed.length > 0) {
        await run(
          `COPY (${regexParseSql(this.spec, changed)}) TO ${quoteLiteral(staging)} ` +
            '(FORMAT parquet, COMPRESSION zstd, PARTITION_BY (__src))',
        );
      }
      for (const file of [...changed, ...removed]) this.dropEntry(file);
      for (const file of changed) {
        const id = fileId(file);
        const parts = join(staging, `__src=${id}`);
        if (existsSync(parts)) {
          for (const [n, name] of readdirSync(parts).entries()) {
            renameSync(join(parts, name), join(this.dir, `${id}_${n}.parquet`));
          }
        }
        const stat = current.get(file)!;
        this.manifest.files[file] = { size: stat.size, mtimeMs: stat.mtimeMs, id };
      }
      for (const file of removed) delete this.manifest.files[file];
      const path = join(this.dir, '_manifest.json');
      writeFileSync(`${path}.tmp`, JSON.stringify(this.manifest));
      renameSync(`${path}.tmp`, path);
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  }

  private dropEntry(file: string): void {
    const id = fileId(file);
    for (const name of readdirSync(this.dir))
      if (name.startsWith(`${id}_`)) rmSync(join(this.dir, name), { force: true });
  }
}

/** md5 of the path, as DuckDB's md5(filename) computes it in regexParseSql. */
function fileId(path: string): string {
  return createHash('md5').update(path).digest('hex');
}
