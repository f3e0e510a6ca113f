import { join } from 'node:path';
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ENV } from '../contracts/env';
import { acknowledgeNag, acknowledgeWildcardResources } from './nag-acknowledgements';
import { metricsNamespaceOf } from './seed-metrics';

/** Lambda entry points in `functions/`, by role (each exports `handler`). */
export const HANDLER_FILES = {
  starter: 'starter.ts',
  dispatcher: 'dispatcher.ts',
  redrive: 'redrive.ts',
  getQuery: 'get-query.ts',
  listQueries: 'list-queries.ts',
  getResults: 'get-results.ts',
  cancelQuery: 'cancel-query.ts',
  listWorkgroups: 'list-workgroups.ts',
  reconcileSlots: 'reconcile-slots.ts',
  quotaMonitor: 'quota-monitor.ts',
  apiGatewayAccountRole: 'api-gateway-account-role.ts',
} as const;

export type HandlerName = keyof typeof HANDLER_FILES;

/** Absolute path of a handler file, from this file's location (never the working directory). */
export function handlerEntry(name: HandlerName): string {
  return join(__dirname, '..', 'functions', HANDLER_FILES[name]);
}

/** Node.js major version the handlers are written and tested for. */
export const HANDLER_RUNTIME = lambda.Runtime.NODEJS_22_X;

export interface WlmFunctionProps {
  /** Which handler in `functions/` this function runs. */
  readonly handler: HandlerName;
  /** What the function does, shown in the Lambda console. */
  readonly description: string;
  /** Environment variables (names from `contracts/env.ts`). */
  readonly environment: Readonly<Record<string, string>>;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** @default 256 */
  readonly memorySize?: number;
  /** @default - no reserved concurrency */
  readonly reservedConcurrentExecutions?: number;
  /** How long the function's log is kept. */
  readonly logRetention: logs.RetentionDays;
  /** What happens to the function's log group when the stack is deleted. */
  readonly logRemovalPolicy: RemovalPolicy;
}

/**
 * A handler from `functions/` as an arm64 Node.js function with X-Ray tracing, its own log group and its
 * own role. The role gets log permissions on that one log group instead of the AWSLambdaBasicExecutionRole
 * managed policy, so every grant on it is explicit.
 */
export class WlmFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: WlmFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `athena-wlm ${props.handler} function`,
    });
    this.logGroup.grantWrite(this.role);

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: handlerEntry(props.handler),
      handler: 'handler',
      description: props.description,
      runtime: HANDLER_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      timeout: props.timeout ?? Duration.seconds(30),
      memorySize: props.memorySize ?? 256,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      tracing: lambda.Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      environment: {
        ...props.environment,
        // Read by Powertools Metrics: the stage's namespace.
        [ENV.metricsNamespace]: metricsNamespaceOf(this),
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        format: nodejs.OutputFormat.CJS,
        target: 'node22',
        minify: true,
        sourceMap: true,
        // The Node.js 22 runtime ships AWS SDK v3; the rest (powertools, zod) is bundled.
        externalModules: ['@aws-sdk/*'],
      },
    });

    acknowledgeNag(
      this.function,
      'AwsSolutions-L1',
      'The handlers are built and tested for Node.js 22 (esbuild target node22); the runtime moves with the project, not with each CDK release.',
    );
    acknowledgeWildcardResources(
      this.role,
      ['*'],
      'Only actions without resource-level permissions get Resource "*": X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) and, where granted, cloudwatch:GetMetricData and servicequotas:GetAWSDefaultServiceQuota.',
    );
  }
}
