import { mkdirSync } from 'node:fs';

/** A data dir that cannot be made or used as one, with what to do. */
export class DataDirError extends Error {
  constructor(dir: string, cause: NodeJS.ErrnoException) {
    super(`Cannot use ${dir} as the data dir: ${problemOf(cause)}`);
    this.name = 'DataDirError';
  }
}

function problemOf(cause: NodeJS.ErrnoException): string {
  switch (cause.code) {
    case 'EEXIST':
    case 'ENOTDIR':
      return 'it (or a folder above it) is a file, not a folder. Pass the path of a folder with --data-dir.';
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return `it cannot be created or opened (${cause.code}: permission denied or a read-only file system). Make it a folder this user may write, or pass another --data-dir.`;
    default:
      return `${cause.message}.`;
  }
}

/** Makes the data dir (and its parents) unless it exists; a path that cannot be one is a DataDirError. */
export function ensureDataDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new DataDirError(dir, error as NodeJS.ErrnoException);
  }
}
