import { DEFAULT_CONFIG, parseConfig, type WlmConfig, type WlmConfigInput } from '../lib/config';

/** A config to compare athena-wlm with itself: the defaults, and what changes when one knob moves. */
export interface ConfigVariant {
  readonly name: string;
  readonly change: string;
  readonly config: WlmConfig;
}

const classes = DEFAULT_CONFIG.classes;

/**
 * Predictable ETL gets a guarantee that covers its usual load (the case study: 30-70% of the quota),
 * paid for by smaller guarantees elsewhere so that the sum still fits quota - headroom (12+2+1+1 = 16 of 18).
 */
const etlSized: WlmConfigInput = {
  ...DEFAULT_CONFIG,
  classes: {
    ...classes,
    predictable: { ...classes.predictable, guaranteedSlots: 12, maxSlots: 14 },
    fast: { ...classes.fast, guaranteedSlots: 2 },
    long: { ...classes.long, guaranteedSlots: 1 },
    exploratory: { ...classes.exploratory, maxSlots: 3 },
  },
};

const shortWait = { initialWaitSeconds: 2, maxWaitSeconds: 15, maxReceives: 1000 };

export function configVariants(): ConfigVariant[] {
  return [
    { name: 'defaults', change: 'lib/config/defaults.ts as shipped', config: parseConfig(DEFAULT_CONFIG) },
    {
      name: 'etl-sized',
      change: 'predictable guaranteed 12 / max 14, fast guaranteed 2, long guaranteed 1, exploratory max 3',
      config: parseConfig(etlSized),
    },
    {
      name: 'short-slot-wait',
      change: 'admission.initialWaitSeconds 2, maxWaitSeconds 15 (maxReceives 1000)',
      config: parseConfig({ ...DEFAULT_CONFIG, admission: shortWait }),
    },
    {
      name: 'both',
      change: 'etl-sized + short-slot-wait',
      config: parseConfig({ ...etlSized, admission: shortWait }),
    },
  ];
}
