/** A seeded source of numbers in [0, 1). The benchmark never calls Math.random. */
export type Random = () => number;

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
export function mulberry32(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A seed for one named stream (scenario trace, strategy jitter) derived from the run's seed (FNV-1a). */
export function deriveSeed(seed: number, ...names: string[]): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (const ch of names.join('/')) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export function uniform(random: Random, min: number, max: number): number {
  return min + random() * (max - min);
}

export function uniformInt(random: Random, min: number, max: number): number {
  return Math.floor(uniform(random, min, max + 1));
}

/** Exponential inter-arrival time of a Poisson process of `ratePerSecond`. */
export function exponential(random: Random, ratePerSecond: number): number {
  return -Math.log(1 - random()) / ratePerSecond;
}

/** Bounded Pareto on [low, high] with shape `alpha`: mostly short, a heavy tail of long ones. */
export function boundedPareto(random: Random, low: number, high: number, alpha: number): number {
  const u = random();
  const ratio = (low / high) ** alpha;
  return low / (1 - u * (1 - ratio)) ** (1 / alpha);
}
