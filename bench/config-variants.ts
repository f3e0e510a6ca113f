import { DEFAULT_CONFIG, loadConfig, parseConfig, type WlmConfig, type WlmConfigInput } from '../lib/config';

/** A config to compare athena-wlm with itself: the defaults, and what changes when one knob moves. */
export interface ConfigVariant {
  readonly name: string;
  readonly change: string;
  readonly config: WlmConfig;
  /** athena-wlm's admission: the product's first-come line per class, or the plain decision it had before. */
  readonly admission: 'line' | 'no-line';
}

const classes = DEFAULT_CONFIG.classes;

/** Longest `maxQueueWaitMinutes` the schema takes (24 h): past every scenario's 6 h horizon, so no limit. */
const NO_QUEUE_WAIT_LIMIT = 1440;

/**
 * The defaults the first benchmark ran with (commit 8cd10d9): ETL guaranteed 8 of the 18 slots, slot wait
 * 5 s doubling to 120 s, parked after 500 receives, and no queue-wait limit (the setting did not exist).
 */
export const BEFORE_THE_BENCHMARK: WlmConfigInput = {
  ...DEFAULT_CONFIG,
  classes: Object.fromEntries(
    Object.entries({
      predictable: [8, 12],
      fast: [3, 6],
      long: [2, 4],
      exploratory: [1, 4],
      adhoc: [0, 2],
    }).map(([name, [guaranteedSlots, maxSlots]]) => [
      name,
      { ...classes[name], guaranteedSlots, maxSlots, maxQueueWaitMinutes: NO_QUEUE_WAIT_LIMIT },
    ]),
  ),
  admission: { initialWaitSeconds: 5, maxWaitSeconds: 120, maxReceives: 500 },
};

/** The name of the variant that is athena-wlm as it was when the benchmark was first run. */
export const BEFORE = 'before the benchmark';

export function beforeTheBenchmark(): ConfigVariant {
  return {
    name: BEFORE,
    change:
      'the old defaults (predictable 8/12, fast 3/6, long 2/4, exploratory 1/4, adhoc 0/2; slot wait 5 s ' +
      'doubling to 120 s; maxReceives 500; no queue-wait limit) and admission without the line',
    config: parseConfig(BEFORE_THE_BENCHMARK),
    admission: 'no-line',
  };
}

export function configVariants(): ConfigVariant[] {
  const defaults = loadConfig();
  return [
    beforeTheBenchmark(),
    {
      name: 'old defaults + line',
      change: 'the old defaults, with the first-come line per class (the line alone)',
      config: parseConfig(BEFORE_THE_BENCHMARK),
      admission: 'line',
    },
    {
      name: 'defaults, no line',
      change: 'the new defaults, without the line (the new defaults alone)',
      config: defaults,
      admission: 'no-line',
    },
    {
      name: 'defaults',
      change: 'lib/config/defaults.ts as shipped, with the line (the product now)',
      config: defaults,
      admission: 'line',
    },
    {
      name: 'queue-wait 30 min',
      change: 'the defaults with maxQueueWaitMinutes 30 on every class (a short bound on the line)',
      config: parseConfig({
        ...DEFAULT_CONFIG,
        classes: Object.fromEntries(
          Object.entries(classes).map(([name, c]) => [name, { ...c, maxQueueWaitMinutes: 30 }]),
        ),
      }),
      admission: 'line',
    },
  ];
}
