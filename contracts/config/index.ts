export { DEFAULT_CONFIG } from './defaults';
export {
  ConfigError,
  limitWithBuffer,
  loadConfig,
  parseConfig,
  withStage,
  workgroupNameOf,
} from './load-config';
export type { ThrottleRetryConfig, WlmConfig, WlmConfigInput, WorkloadClassConfig } from './schema';
export {
  MIN_BYTES_SCANNED_CUTOFF,
  type SlotCount,
  slotsOf,
  wlmConfigSchema,
  workloadClassSchema,
} from './schema';
