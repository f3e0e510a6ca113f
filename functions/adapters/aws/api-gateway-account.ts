import {
  type APIGatewayClient,
  BadRequestException,
  GetAccountCommand,
  UpdateAccountCommand,
} from '@aws-sdk/client-api-gateway';
import { GetRoleCommand, type IAMClient, NoSuchEntityException } from '@aws-sdk/client-iam';
import { type AccountLoggingSetting, RoleNotAssumableYetError } from '../../core/account-logging-role';

/** The API Gateway account setting `cloudwatchRoleArn` (GetAccount / UpdateAccount) and IAM GetRole. */
export class ApiGatewayAccountSetting implements AccountLoggingSetting {
  constructor(
    private readonly apiGateway: APIGatewayClient,
    private readonly iam: IAMClient,
  ) {}

  async current(): Promise<string | undefined> {
    const account = await this.apiGateway.send(new GetAccountCommand({}));
    return account.cloudwatchRoleArn || undefined;
  }

  async roleExists(roleArn: string): Promise<boolean | undefined> {
    const roleName = roleArn.split('/').pop();
    if (!roleName) return false;
    try {
      await this.iam.send(new GetRoleCommand({ RoleName: roleName }));
      return true;
    } catch (error) {
      if (error instanceof NoSuchEntityException) return false;
      return undefined;
    }
  }

  async set(roleArn: string): Promise<void> {
    try {
      await this.apiGateway.send(
        new UpdateAccountCommand({
          patchOperations: [{ op: 'replace', path: '/cloudwatchRoleArn', value: roleArn }],
        }),
      );
    } catch (error) {
      // "The role ARN does not have required permissions set to API Gateway": IAM has not spread the
      // new role's trust policy yet.
      if (error instanceof BadRequestException && /role/i.test(error.message)) {
        throw new RoleNotAssumableYetError(error.message);
      }
      throw error;
    }
  }
}
