#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError } from '../contracts/config';
import { appSettings } from '../lib/app-settings';
import { AthenaWlmStack } from '../lib/athena-wlm-stack';

const app = new App();

try {
  const settings = appSettings((key) => app.node.tryGetContext(key), process.env);
  // Environment-agnostic: no lookups, so `cdk synth` works without credentials.
  new AthenaWlmStack(app, settings.stackName, {
    config: settings.config,
    stage: settings.stage,
    apiCloudWatchRole: settings.apiCloudWatchRole,
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
