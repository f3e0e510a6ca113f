import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { IAMClient } from '@aws-sdk/client-iam';
import { ApiGatewayAccountSetting } from './adapters/aws/api-gateway-account';
import { lambdaLogger } from './adapters/aws/aws-runtime';
import {
  answerCustomResource,
  type CustomResourceEvent,
  type CustomResourceResult,
} from './adapters/aws/cloudformation-custom-resource';
import { powertoolsHandler, traced } from './adapters/aws/powertools';
import { type AccountLoggingSetting, ensureAccountLoggingRole } from './core/account-logging-role';

const logger = lambdaLogger('api-gateway-account-role');

/** One per account and region, whatever stack or stage asks. */
export const PHYSICAL_ID = 'apigateway-account-cloudwatch-role';

/**
 * The custom resource's work. Create and Update set the stack's role as the account's API Gateway
 * logging role when none (or a deleted one) is set; Delete leaves the setting as it is, because other
 * APIs may log through it by then (the role itself is retained by the stack for that reason).
 */
export function accountRoleWork(setting: AccountLoggingSetting) {
  return async (event: CustomResourceEvent): Promise<CustomResourceResult> => {
    if (event.RequestType === 'Delete')
      return { physicalResourceId: event.PhysicalResourceId ?? PHYSICAL_ID };
    const roleArn = event.ResourceProperties.RoleArn;
    if (typeof roleArn !== 'string' || !roleArn.startsWith('arn:')) {
      throw new Error(`RoleArn '${String(roleArn)}' is not a role ARN; the stack passes its logging role.`);
    }
    const outcome = await ensureAccountLoggingRole(setting, roleArn).catch((error: Error) => {
      throw new Error(
        `Could not set API Gateway's CloudWatch role for this account and region: ${error.message}. ` +
          'Set one yourself (API Gateway console, Settings) and deploy with -c apiCloudWatchRole=false.',
      );
    });
    logger.info('API Gateway account logging role', { ...outcome });
    return {
      physicalResourceId: PHYSICAL_ID,
      data: { CloudWatchRoleArn: outcome.roleArn, SetByThisStack: String(outcome.action === 'set') },
    };
  };
}

const setting = new ApiGatewayAccountSetting(traced(new APIGatewayClient({})), traced(new IAMClient({})));

export const handler = powertoolsHandler(logger, async (event: CustomResourceEvent): Promise<void> => {
  const status = await answerCustomResource(event, accountRoleWork(setting));
  logger.info('answered CloudFormation', { requestType: event.RequestType, status });
});
