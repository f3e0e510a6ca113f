import {
  type ClassWaitStatus,
  type DispatchStore,
  type LineEntry,
  type SlotHolder,
  takesPlaceOf,
} from '../../core/ports';
import type { LineKey } from '../../core/wake-event';

const orderOf = (key: Pick<LineKey, 'submittedAt' | 'queryId'>) => `${key.submittedAt}#${key.queryId}`;

/**
 * One class's line in memory, oldest first. Lines grow at the tail and shrink at the head, so both are
 * cheap even with a hundred thousand waiting; a query leaving from the middle (a cancel) is skipped.
 */
class Line {
  private readonly entries: LineEntry[] = [];
  private readonly keys: string[] = [];
  private readonly gone = new Set<string>();
  private start = 0;

  put(entry: LineEntry): boolean {
    const key = orderOf(entry);
    if (this.gone.delete(key)) {
      const at = this.find(key);
      this.entries[at] = entry;
      return true;
    }
    const at = this.insertionPoint(key);
    if (at < this.keys.length && this.keys[at] === key && at >= this.start) {
      if (!takesPlaceOf(entry, this.entries[at])) return false;
      this.entries[at] = entry;
      return true;
    }
    this.keys.splice(at, 0, key);
    this.entries.splice(at, 0, entry);
    return true;
  }

  remove(key: string): LineEntry | undefined {
    const at = this.find(key);
    if (at < 0 || this.gone.has(key)) return undefined;
    const entry = this.entries[at];
    if (at === this.start) {
      this.start++;
      while (this.start < this.keys.length && this.gone.delete(this.keys[this.start])) this.start++;
      this.compact();
    } else {
      this.gone.add(key);
    }
    return entry;
  }

  heads(limit: number): LineEntry[] {
    const out: LineEntry[] = [];
    for (let i = this.start; i < this.keys.length && out.length < limit; i++) {
      if (!this.gone.has(this.keys[i])) out.push(this.entries[i]);
    }
    return out;
  }

  ahead(key: string, limit: number): number {
    let count = 0;
    for (let i = this.start; i < this.keys.length && count < limit && this.keys[i] < key; i++) {
      if (!this.gone.has(this.keys[i])) count++;
    }
    return count;
  }

  get size(): number {
    return this.keys.length - this.start - this.gone.size;
  }

  private find(key: string): number {
    const at = this.insertionPoint(key);
    return at < this.keys.length && this.keys[at] === key && at >= this.start ? at : -1;
  }

  private insertionPoint(key: string): number {
    let lo = this.start;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.keys[mid] < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Drops the consumed head now and then, so memory follows the line, not its history. */
  private compact(): void {
    if (this.start < 1024 || this.start * 2 < this.keys.length) return;
    this.keys.splice(0, this.start);
    this.entries.splice(0, this.start);
    this.start = 0;
  }
}

/**
 * The dispatch store in memory: for the simulator, which runs the real dispatcher over it on a virtual
 * clock, and for tests.
 */
export class InMemoryDispatchStore implements DispatchStore {
  private readonly lines = new Map<string, Line>();
  private readonly held = new Map<string, SlotHolder>();
  private readonly statuses = new Map<string, ClassWaitStatus>();

  async join(entry: LineEntry): Promise<boolean> {
    return this.lineOf(entry.className).put(entry);
  }

  async leave(key: LineKey): Promise<LineEntry | undefined> {
    return this.lines.get(key.className)?.remove(orderOf(key));
  }

  async heads(className: string, limit: number): Promise<readonly LineEntry[]> {
    return this.lines.get(className)?.heads(limit) ?? [];
  }

  async ahead(key: LineKey, limit: number): Promise<number> {
    return this.lines.get(key.className)?.ahead(orderOf(key), limit) ?? 0;
  }

  async hold(holder: SlotHolder): Promise<void> {
    this.held.set(holder.queryId, holder);
  }

  async free(queryId: string, executionArn?: string): Promise<boolean> {
    const holder = this.held.get(queryId);
    if (!holder || (executionArn && holder.executionArn && holder.executionArn !== executionArn))
      return false;
    this.held.delete(queryId);
    return true;
  }

  async holders(): Promise<readonly SlotHolder[]> {
    return [...this.held.values()];
  }

  async waitStatus(): Promise<Readonly<Record<string, ClassWaitStatus>>> {
    return Object.fromEntries(this.statuses);
  }

  async setWaitStatus(className: string, status: ClassWaitStatus | undefined): Promise<void> {
    if (status) this.statuses.set(className, status);
    else this.statuses.delete(className);
  }

  /** Queries waiting in a class's line (for tests and the simulator's figures). */
  waiting(className: string): number {
    return this.lines.get(className)?.size ?? 0;
  }

  private lineOf(className: string): Line {
    let line = this.lines.get(className);
    if (!line) {
      line = new Line();
      this.lines.set(className, line);
    }
    return line;
  }
}
