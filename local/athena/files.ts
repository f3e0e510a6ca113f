/** Listing the files of a table location the way Athena does: hidden `_x` and `.x` names are skipped. */
import { type Dirent, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Whether a folder holds a file Athena would read (hidden `_x` and `.x` names are skipped). */
export function hasVisibleFile(dir: string): boolean {
  if (!existsSync(dir)) return false;
  const stack = [dir];
  while (stack.length > 0) {
    const current = stack.pop()!;
    let entries: Dirent[];
    try {
      entries = readdirSync(current, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.') || entry.name.startsWith('_')) continue;
      if (entry.isFile()) return true;
      if (entry.isDirectory()) stack.push(join(current, entry.name));
    }
  }
  return false;
}

/** Every visible file under a folder (for SHOW PARTITIONS and clean-ups). */
export function visibleFiles(dir: string): string[] {
  const files: string[] = [];
  if (!existsSync(dir)) return files;
  const stack = [dir];
  while (stack.length > 0) {
    const current = stack.pop()!;
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      if (entry.name.startsWith('.') || entry.name.startsWith('_')) continue;
      if (entry.isFile()) files.push(join(current, entry.name));
      else if (entry.isDirectory()) stack.push(join(current, entry.name));
    }
  }
  return files.sort();
}
