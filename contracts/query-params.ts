import { z } from 'zod';
import type { WlmConfig } from './config';
import { QUERY_STATUSES } from './query-status';

/** Query string of `GET /queries/{queryId}/results`. */
export const resultsParams = z.object({
  maxResults: z.coerce
    .number({ message: 'must be a whole number from 1 to 1000' })
    .int('must be a whole number from 1 to 1000')
    .min(1, 'must be a whole number from 1 to 1000')
    .max(1000, 'must be a whole number from 1 to 1000')
    .default(100),
  nextToken: z.string().min(1).max(4096).optional(),
});

/** Default and largest page of `GET /queries`. */
export const LIST_DEFAULT_LIMIT = 25;
export const LIST_MAX_LIMIT = 100;

export function listParams(config: WlmConfig) {
  const classes = Object.keys(config.classes);
  const className = z
    .string()
    .refine((w) => classes.includes(w), {
      message: `is not a workload class of this deployment (classes: ${classes.join(', ')})`,
    })
    .optional();
  return z.object({
    className: className.describe('Only queries of this workload class.'),
    workgroup: className.describe('The first name of className, still read; give one of the two.'),
    status: z.enum(QUERY_STATUSES, { message: `must be one of ${QUERY_STATUSES.join(', ')}` }).optional(),
    userId: z.string().min(1).max(256).optional(),
    limit: z.coerce
      .number({ message: `must be a whole number from 1 to ${LIST_MAX_LIMIT}` })
      .int(`must be a whole number from 1 to ${LIST_MAX_LIMIT}`)
      .min(1, `must be a whole number from 1 to ${LIST_MAX_LIMIT}`)
      .max(LIST_MAX_LIMIT, `must be a whole number from 1 to ${LIST_MAX_LIMIT}`)
      .default(LIST_DEFAULT_LIMIT),
    nextToken: z.string().min(1).max(8192).optional(),
  });
}
