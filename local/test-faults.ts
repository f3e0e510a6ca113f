import { z } from 'zod';

/**
 * The environment variable through which the fault harness (test/faults) injects faults into a
 * runtime it starts. Nothing in the product sets it; unset, nothing changes.
 */
export const TEST_FAULTS_ENV = 'ATHENA_WLM_TEST_FAULTS';

const testFaultsSchema = z
  .object({
    /** The handler of a Task state throws once: the `nth` time (from 1) any execution of this process runs it. */
    taskThrowsOnce: z
      .object({
        state: z.string().min(1),
        nth: z.number().int().min(1),
        /** The error's name, as a Task reports it (`DynamoDB.InternalServerErrorException`). */
        error: z.string().min(1),
      })
      .strict()
      .optional(),
    /** The back end thread blocks this long right after it is ready (the threaded runtime). */
    stallBackendMs: z.number().int().min(1).max(60_000).optional(),
  })
  .strict();

export type TestFaults = z.infer<typeof testFaultsSchema>;

/** The faults `ATHENA_WLM_TEST_FAULTS` asks for (none when it is unset); a value that does not parse is an error. */
export function testFaults(env: NodeJS.ProcessEnv = process.env): TestFaults {
  const text = env[TEST_FAULTS_ENV];
  if (!text) return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(`${TEST_FAULTS_ENV} is not JSON: ${(error as Error).message}`);
  }
  const parsed = testFaultsSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${TEST_FAULTS_ENV}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** Asked before each Task handler runs, with its state's name: the injected error, once. */
export function taskFault(faults: TestFaults): ((state: string) => Error | undefined) | undefined {
  const fault = faults.taskThrowsOnce;
  if (!fault) return undefined;
  let seen = 0;
  return (state) => {
    if (state !== fault.state || ++seen !== fault.nth) return undefined;
    const error = new Error(`injected by ${TEST_FAULTS_ENV}: ${fault.state} failed once`);
    error.name = fault.error;
    return error;
  };
}
