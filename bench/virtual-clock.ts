/**
 * Virtual time for the simulator: the shipped code awaits `sleep` and reads `now`, and the clock jumps
 * from one timer to the next. After each timer fires, every promise continuation that follows from it
 * runs (in-memory ports resolve at once) before the next timer, so a run is deterministic.
 */
export class VirtualClock {
  private readonly heap: { at: number; seq: number; fire: () => void }[] = [];
  private seq = 0;
  /** Milliseconds since the start of the run. */
  nowMs = 0;

  /** Resolves after `ms` of virtual time. */
  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => this.at(this.nowMs + Math.max(0, ms), resolve));
  }

  /** Calls `fire` at virtual time `atMs` (not before now). */
  at(atMs: number, fire: () => void): void {
    const heap = this.heap;
    heap.push({ at: Math.max(atMs, this.nowMs), seq: this.seq++, fire });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!earlier(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  /** Fires timers in time order until none is left at or before `endMs`. */
  async runUntil(endMs: number): Promise<void> {
    for (;;) {
      const next = this.heap[0];
      if (!next || next.at > endMs) break;
      this.pop();
      this.nowMs = next.at;
      next.fire();
      await settle();
    }
    this.nowMs = Math.max(this.nowMs, endMs);
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop();
    if (heap.length === 0 || !last) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && earlier(heap[l], heap[m])) m = l;
      if (r < heap.length && earlier(heap[r], heap[m])) m = r;
      if (m === i) break;
      [heap[i], heap[m]] = [heap[m], heap[i]];
      i = m;
    }
  }
}

const earlier = (a: { at: number; seq: number }, b: { at: number; seq: number }) =>
  a.at < b.at || (a.at === b.at && a.seq < b.seq);

/** Lets every pending promise continuation run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
