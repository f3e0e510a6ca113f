/*
 * Imported after aws-env by tests that read the handlers' log lines: Powertools' dev mode writes them
 * with the global console (which the test captures), at INFO.
 */
process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
process.env.POWERTOOLS_DEV = 'true';
