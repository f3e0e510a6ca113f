import { Aws, Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import { Construct } from 'constructs';
import { acknowledgeWildcardResources } from './nag-acknowledgements';

export interface LambdaScheduleProps {
  readonly function: lambda.IFunction;
  readonly everyMinutes: number;
  readonly description: string;
}

/**
 * An EventBridge Scheduler schedule that invokes a function every N minutes, with its own role. A missed
 * run is not retried: the next one comes within minutes and does the same work.
 */
export class LambdaSchedule extends Construct {
  readonly schedule: scheduler.Schedule;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: LambdaScheduleProps) {
    super(scope, id);
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
      description: props.description,
    });
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      description: props.description,
      schedule: scheduler.ScheduleExpression.rate(Duration.minutes(props.everyMinutes)),
      target: new targets.LambdaInvoke(props.function, { role: this.role, retryAttempts: 0 }),
    });
    acknowledgeWildcardResources(
      this.role,
      [`${props.function.functionArn}:*`],
      'lambda:InvokeFunction on the function and its versions/aliases (`:*`), as CDK grants invoke; one function only.',
    );
  }
}
