#!/usr/bin/env node
import { resolve } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AthenaWlmStack } from '../lib/athena-wlm-stack';
import { ConfigError, DEFAULT_CONFIG, loadConfig } from '../lib/config';

// The config file is a path the user typed, so it is resolved from the working directory.
const app = new App();
const configFile: string | undefined = app.node.tryGetContext('configFile') ?? process.env.ATHENA_WLM_CONFIG;
const stackName: string = app.node.tryGetContext('stackName') ?? 'AthenaWlm';

try {
  const config = configFile ? loadConfig(resolve(configFile)) : DEFAULT_CONFIG;
  // Environment-agnostic: no lookups, so `cdk synth` works without credentials.
  new AthenaWlmStack(app, stackName, {
    config,
    description: 'athena-wlm: workload management for Amazon Athena',
  });
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}

// cdk-nag v3 is a policy-validation plugin: synthesis fails on any unacknowledged finding.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
