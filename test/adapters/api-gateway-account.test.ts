import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  APIGatewayClient,
  BadRequestException,
  GetAccountCommand,
  UpdateAccountCommand,
} from '@aws-sdk/client-api-gateway';
import { GetRoleCommand, IAMClient, NoSuchEntityException } from '@aws-sdk/client-iam';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { ApiGatewayAccountSetting } from '../../functions/adapters/aws/api-gateway-account';
import {
  answerCustomResource,
  type CustomResourceEvent,
  putResponse,
} from '../../functions/adapters/aws/cloudformation-custom-resource';
import { accountRoleWork, PHYSICAL_ID } from '../../functions/api-gateway-account-role';
import { RoleNotAssumableYetError } from '../../functions/core/account-logging-role';

const apiGateway = mockClient(APIGatewayClient);
const iam = mockClient(IAMClient);
beforeEach(() => {
  apiGateway.reset();
  iam.reset();
});
const setting = () => new ApiGatewayAccountSetting(new APIGatewayClient({}), new IAMClient({}));
const OURS = 'arn:aws:iam::123456789012:role/AthenaWlm-LoggingRole-ABC';

describe('ApiGatewayAccountSetting', () => {
  it('reads the account setting, and no role when it is empty', async () => {
    apiGateway.on(GetAccountCommand).resolvesOnce({ cloudwatchRoleArn: OURS }).resolvesOnce({});
    await expect(setting().current()).resolves.toBe(OURS);
    await expect(setting().current()).resolves.toBeUndefined();
  });

  it('sets the role with the replace patch UpdateAccount takes', async () => {
    apiGateway.on(UpdateAccountCommand).resolves({});
    await setting().set(OURS);
    expect(apiGateway).toHaveReceivedCommandWith(UpdateAccountCommand, {
      patchOperations: [{ op: 'replace', path: '/cloudwatchRoleArn', value: OURS }],
    });
  });

  it('tells a role API Gateway cannot assume yet from other refusals', async () => {
    apiGateway
      .on(UpdateAccountCommand)
      .rejectsOnce(
        new BadRequestException({
          message: 'The role ARN does not have required permissions set to API Gateway',
          $metadata: {},
        }),
      )
      .rejectsOnce(new Error('AccessDeniedException'));
    await expect(setting().set(OURS)).rejects.toBeInstanceOf(RoleNotAssumableYetError);
    await expect(setting().set(OURS)).rejects.toThrow('AccessDeniedException');
  });

  it('says a role exists, is gone, or cannot be looked at', async () => {
    iam
      .on(GetRoleCommand)
      .resolvesOnce({})
      .rejectsOnce(new NoSuchEntityException({ message: 'no role', $metadata: {} }))
      .rejectsOnce(new Error('AccessDenied'));
    await expect(setting().roleExists(OURS)).resolves.toBe(true);
    await expect(setting().roleExists(OURS)).resolves.toBe(false);
    await expect(setting().roleExists(OURS)).resolves.toBeUndefined();
    expect(iam).toHaveReceivedCommandWith(GetRoleCommand, { RoleName: 'AthenaWlm-LoggingRole-ABC' });
  });
});

describe('the custom resource, answering CloudFormation over HTTP', () => {
  let server: Server;
  let url: string;
  const received: { method?: string; contentType?: string; body: Record<string, unknown> }[] = [];
  beforeAll(async () => {
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        received.push({
          method: request.method,
          contentType: request.headers['content-type'],
          body: JSON.parse(body),
        });
        response.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/presigned?X-Amz-Signature=abc`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));
  beforeEach(() => {
    received.length = 0;
  });

  const event = (
    RequestType: CustomResourceEvent['RequestType'],
    RoleArn: unknown = OURS,
  ): CustomResourceEvent => ({
    RequestType,
    ResponseURL: url,
    StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/AthenaWlm/1',
    RequestId: 'r-1',
    LogicalResourceId: 'LoggingRoleSetting',
    ...(RequestType === 'Create' ? {} : { PhysicalResourceId: PHYSICAL_ID }),
    ResourceProperties: { RoleArn },
  });

  it('sets the role on Create and answers SUCCESS with what it did', async () => {
    apiGateway.on(GetAccountCommand).resolves({});
    apiGateway.on(UpdateAccountCommand).resolves({});

    await expect(
      answerCustomResource(event('Create'), accountRoleWork(setting()), putResponse),
    ).resolves.toBe('SUCCESS');

    expect(received).toEqual([
      {
        method: 'PUT',
        contentType: '',
        body: {
          Status: 'SUCCESS',
          PhysicalResourceId: PHYSICAL_ID,
          Data: { CloudWatchRoleArn: OURS, SetByThisStack: 'true' },
          StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/AthenaWlm/1',
          RequestId: 'r-1',
          LogicalResourceId: 'LoggingRoleSetting',
        },
      },
    ]);
  });

  it('changes nothing on Delete: the account may log through the role by now', async () => {
    await expect(
      answerCustomResource(event('Delete'), accountRoleWork(setting()), putResponse),
    ).resolves.toBe('SUCCESS');
    expect(apiGateway.calls()).toHaveLength(0);
    expect(received[0].body).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: PHYSICAL_ID });
  });

  it('answers FAILED with what to do when the setting cannot be changed', async () => {
    apiGateway.on(GetAccountCommand).resolves({});
    apiGateway
      .on(UpdateAccountCommand)
      .rejects(new Error('User is not authorized to perform: apigateway:PATCH'));

    await expect(
      answerCustomResource(event('Update'), accountRoleWork(setting()), putResponse),
    ).resolves.toBe('FAILED');

    expect(received[0].body.Status).toBe('FAILED');
    expect(received[0].body.Reason).toMatch(/not authorized.*apiCloudWatchRole=false/s);
  });

  it('answers FAILED when it is given no role ARN', async () => {
    await answerCustomResource(event('Create', ''), accountRoleWork(setting()), putResponse);
    expect(received[0].body).toMatchObject({ Status: 'FAILED', PhysicalResourceId: 'LoggingRoleSetting' });
  });
});
