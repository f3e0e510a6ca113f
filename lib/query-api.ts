import { Lazy, type RemovalPolicy } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct, type IConstruct } from 'constructs';
import type { WlmConfig } from '../contracts/config';
import { ENV } from '../contracts/env';
import {
  type LambdaRouteId,
  pathParametersOf,
  ROUTES,
  type RouteId,
  type RouteSpec,
  servedRoutes,
} from '../contracts/routes';
import { MAX_QUERY_BYTES, submissionBodyJsonSchema } from '../contracts/submission';
import { ApiLoggingRole } from './api-logging-role';
import { acknowledgeNag, acknowledgeWildcardResources } from './nag-acknowledgements';
import type { QueryTables } from './query-tables';
import {
  ACCEPTED_RESPONSE_TEMPLATE,
  LEDGER_REFUSED_RESPONSE_TEMPLATE,
  LEDGER_UNAVAILABLE_RESPONSE_TEMPLATE,
  submissionWriteTemplate,
} from './submission-mapping';
import { WlmFunction } from './wlm-function';

/** One API route as served: an HTTP method and a path under the stage, path parameters filled or not. */
export interface ApiRoute {
  readonly method: string;
  readonly path: string;
}

/**
 * The routes a class's submitters call: the class's own submission route (and the default one, for the
 * default class) and every Lambda route, from the route table.
 */
export function classRoutes(config: WlmConfig, className: string): ApiRoute[] {
  return servedRoutes(config).filter(
    (served) => served.route.integration === 'lambda' || served.className === className,
  );
}

export interface QueryApiProps {
  readonly config: WlmConfig;
  /** The ledger submissions are written to (its stream queues them). */
  readonly tables: QueryTables;
  readonly apiName: string;
  readonly stageName: string;
  readonly throttling: { readonly rateLimit: number; readonly burstLimit: number };
  readonly webAclArn?: string;
  readonly cloudWatchRole: boolean;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/** Converts the submission body's draft-04 JSON schema (from zod) to API Gateway's model schema. */
export function toApiGatewaySchema(schema: Record<string, unknown>): apigateway.JsonSchema {
  const { properties, items, ...rest } = schema as {
    properties?: Record<string, Record<string, unknown>>;
    items?: Record<string, unknown>;
  } & Record<string, unknown>;
  return {
    ...(rest as apigateway.JsonSchema),
    schema: apigateway.JsonSchemaVersion.DRAFT4,
    ...(properties
      ? {
          properties: Object.fromEntries(
            Object.entries(properties).map(([key, value]) => [
              key,
              stripSchemaVersion(toApiGatewaySchema(value)),
            ]),
          ),
        }
      : {}),
    ...(items ? { items: stripSchemaVersion(toApiGatewaySchema(items)) } : {}),
  };
}

function stripSchemaVersion(schema: apigateway.JsonSchema): apigateway.JsonSchema {
  const { schema: _version, ...rest } = schema;
  return rest;
}

/**
 * The REST API: IAM (SigV4) auth on every method, JSON-schema validation of submissions, one static
 * submission route per class (an unknown class is an unknown route), and submissions written straight to
 * the ledger as QUEUED records (a reused queryId answers 409 there; the ledger's stream queues the rest).
 */
export class QueryApi extends Construct {
  readonly api: apigateway.RestApi;
  readonly accessLogGroup: logs.LogGroup;
  /** Sets the account's API Gateway logging role when none is set (unless `cloudWatchRole` is false). */
  readonly loggingRole?: ApiLoggingRole;
  readonly getQueryFunction: WlmFunction;
  /** Role API Gateway assumes to record submissions; allowed only dynamodb:UpdateItem on the ledger. */
  readonly ledgerRole: iam.Role;
  /** Checks submission bodies and required path parameters. */
  readonly validator: apigateway.RequestValidator;
  /** Routes served so far, as `METHOD /stage/path` (the unknown-route message lists them). */
  private readonly served: string[] = [];
  private readonly lambdaRoutes = new Set<LambdaRouteId>();
  private readonly config: WlmConfig;
  private readonly stageName: string;

  constructor(scope: Construct, id: string, props: QueryApiProps) {
    super(scope, id);
    const { config } = props;
    this.stageName = props.stageName;
    this.config = config;
    // Every Lambda route of the table must be given a function before synthesis.
    this.node.addValidation({
      validate: () =>
        (Object.keys(ROUTES) as RouteId[])
          .filter((id): id is LambdaRouteId => ROUTES[id].integration === 'lambda')
          .filter((id) => !this.lambdaRoutes.has(id))
          .map(
            (id) =>
              `Route ${ROUTES[id].method} ${ROUTES[id].path} (${id}) has no function: call addLambdaRoute('${id}', fn).`,
          ),
    });

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });

    this.api = new apigateway.RestApi(this, 'Api', {
      restApiName: props.apiName,
      description: 'athena-wlm: submit Athena queries by workload class and read their status',
      endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
      // The account's logging role is handled by ApiLoggingRole, never by AWS::ApiGateway::Account.
      cloudWatchRole: false,
      defaultMethodOptions: { authorizationType: apigateway.AuthorizationType.IAM },
      deployOptions: {
        stageName: props.stageName,
        tracingEnabled: true,
        throttlingRateLimit: props.throttling.rateLimit,
        throttlingBurstLimit: props.throttling.burstLimit,
        accessLogDestination: new apigateway.LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: apigateway.AccessLogFormat.custom(
          JSON.stringify({
            requestId: apigateway.AccessLogField.contextRequestId(),
            requestTime: apigateway.AccessLogField.contextRequestTime(),
            ip: apigateway.AccessLogField.contextIdentitySourceIp(),
            caller: apigateway.AccessLogField.contextIdentityUserArn(),
            httpMethod: apigateway.AccessLogField.contextHttpMethod(),
            resourcePath: apigateway.AccessLogField.contextResourcePath(),
            status: apigateway.AccessLogField.contextStatus(),
            responseLength: apigateway.AccessLogField.contextResponseLength(),
            error: apigateway.AccessLogField.contextErrorMessage(),
            errorType: apigateway.AccessLogField.contextErrorResponseType(),
            integrationStatus: apigateway.AccessLogField.contextIntegrationStatus(),
            integrationLatency: apigateway.AccessLogField.contextIntegrationLatency(),
          }),
        ),
      },
    });
    // A stage with access logging cannot be created before the account has API Gateway's logging role.
    if (props.cloudWatchRole) {
      this.loggingRole = new ApiLoggingRole(this, 'LoggingRole', {
        logRetention: props.logRetention,
        removalPolicy: props.removalPolicy,
      });
      this.api.deploymentStage.node.addDependency(this.loggingRole.setting);
    }
    acknowledgeNag(
      this.api,
      'AwsSolutions-COG4',
      'Every method uses IAM (SigV4) authorization, which the per-class IAM policies scope; there are no Cognito users.',
    );
    acknowledgeNag(
      this.api.deploymentStage,
      'AwsSolutions-APIG6',
      'Execution logging needs the account-wide API Gateway CloudWatch role; access logs (JSON, every request, with errors) are on and the integration writes nothing worth execution logs.',
    );
    if (props.webAclArn) {
      new wafv2.CfnWebACLAssociation(this, 'WebAcl', {
        resourceArn: this.api.deploymentStage.stageArn,
        webAclArn: props.webAclArn,
      });
    } else {
      acknowledgeNag(
        this.api.deploymentStage,
        'AwsSolutions-APIG3',
        'Only SigV4-signed requests from IAM principals get past the API; pass webAclArn to put a WAF web ACL in front as well.',
      );
    }

    this.validator = this.api.addRequestValidator('Validator', {
      requestValidatorName: 'body-and-parameters',
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    const submissionModel = this.api.addModel('Submission', {
      modelName: 'Submission',
      contentType: 'application/json',
      description: 'Body of a query submission (POST /workgroups/{class}/queries and POST /athena/query)',
      schema: toApiGatewaySchema(submissionBodyJsonSchema()),
    });

    // The ledger is encrypted with the AWS-managed key, which needs no grant of ours.
    this.ledgerRole = new iam.Role(this, 'RecordSubmissionRole', {
      assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com'),
      description: 'API Gateway records query submissions in the query ledger',
    });
    this.ledgerRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:UpdateItem'],
        resources: [props.tables.ledger.tableArn],
      }),
    );

    const submitTo = (resource: apigateway.IResource, className: string) =>
      resource.addMethod('POST', this.submissionIntegration(props.tables, className), {
        authorizationType: apigateway.AuthorizationType.IAM,
        requestValidator: this.validator,
        requestModels: { 'application/json': submissionModel },
        methodResponses: [
          { statusCode: '202', responseModels: { 'application/json': apigateway.Model.EMPTY_MODEL } },
          ...['409', '500', '503'].map((statusCode) => ({
            statusCode,
            responseModels: { 'application/json': apigateway.Model.ERROR_MODEL },
          })),
        ],
      });

    for (const served of servedRoutes(config)) {
      if (served.route.integration !== 'ledger' || !served.className) continue;
      submitTo(this.api.root.resourceForPath(served.path), served.className);
      this.served.push(
        served.perClass ? this.describe(served) : `${this.describe(served)} (class ${served.className})`,
      );
    }

    this.getQueryFunction = new WlmFunction(this, 'GetQuery', {
      handler: 'getQuery',
      description: 'athena-wlm: GET /queries/{queryId} reads the query ledger (and its line, while it waits)',
      environment: {
        [ENV.config]: JSON.stringify(config),
      },
      logRetention: props.logRetention,
      logRemovalPolicy: props.removalPolicy,
    });
    props.tables.bindLedger(this.getQueryFunction.function, 'read');
    props.tables.bindDispatch(this.getQueryFunction.function, 'read');
    this.addLambdaRoute('getQuery', this.getQueryFunction.function);

    this.addGatewayResponses();
  }

  /**
   * Serves a Lambda route of the route table with a Lambda proxy integration: IAM (SigV4) auth, every
   * `{parameter}` of the path required by the request validator, and the query-string parameters the
   * route reads listed (API Gateway checks only the presence of required ones; the function validates
   * their values).
   */
  addLambdaRoute(id: LambdaRouteId, handler: lambda.IFunction): apigateway.Method {
    const route: RouteSpec = ROUTES[id];
    if (this.lambdaRoutes.has(id)) throw new Error(`Route ${route.method} ${route.path} is already served.`);
    const queryString = route.queryString ? Object.keys(route.queryString(this.config).shape) : [];
    const requestParameters: Record<string, boolean> = {
      ...Object.fromEntries(pathParametersOf(route).map((name) => [`method.request.path.${name}`, true])),
      ...Object.fromEntries(queryString.map((name) => [`method.request.querystring.${name}`, false])),
    };
    const method = this.api.root
      .resourceForPath(route.path)
      .addMethod(route.method, new apigateway.LambdaIntegration(handler), {
        authorizationType: apigateway.AuthorizationType.IAM,
        requestValidator: this.validator,
        ...(Object.keys(requestParameters).length > 0 ? { requestParameters } : {}),
      });
    this.lambdaRoutes.add(id);
    this.served.push(this.describe(route));
    return method;
  }

  /** ARN for `execute-api:Invoke` on one route of the deployed stage (`{param}` becomes `*`). */
  invokeArn(route: ApiRoute): string {
    return this.api.arnForExecuteApi(
      route.method,
      route.path.replace(/\{[^}]+\}/g, '*'),
      this.api.deploymentStage.stageName,
    );
  }

  /**
   * Acknowledges cdk-nag's wildcard finding, on `scope`, for the routes among these that take a path
   * parameter: the `*` stands for the query id, the route itself is named exactly.
   */
  acknowledgeInvokeWildcards(scope: IConstruct, routes: readonly ApiRoute[]): void {
    acknowledgeWildcardResources(
      scope,
      routes.filter((route) => route.path.includes('{')).map((route) => this.invokeArn(route)),
      'The status, results and cancel routes take the query id as a path parameter; the routes themselves are named exactly.',
    );
  }

  /**
   * DynamoDB UpdateItem of the QUEUED record (see submission-mapping.ts). Integration responses of an
   * AWS integration are chosen by the HTTP status code DynamoDB answers (the selection pattern "applies
   * to the integration response status code":
   * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-integration-responses.html);
   * DynamoDB answers every client error with 400 and names it in `__type`
   * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html), so the
   * 4xx template tells them apart and sets the status with `$context.responseOverride.status`
   * (https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-override-request-response-parameters.html).
   */
  private submissionIntegration(tables: QueryTables, className: string): apigateway.AwsIntegration {
    return new apigateway.AwsIntegration({
      service: 'dynamodb',
      action: 'UpdateItem',
      options: {
        credentialsRole: this.ledgerRole,
        passthroughBehavior: apigateway.PassthroughBehavior.NEVER,
        requestParameters: {
          'integration.request.header.Content-Type': "'application/x-amz-json-1.0'",
        },
        requestTemplates: {
          'application/json': submissionWriteTemplate(className, tables.ledger.tableName),
        },
        integrationResponses: [
          {
            statusCode: '202',
            selectionPattern: '2\\d{2}',
            responseTemplates: { 'application/json': ACCEPTED_RESPONSE_TEMPLATE },
          },
          {
            statusCode: '500',
            selectionPattern: '4\\d{2}',
            responseTemplates: { 'application/json': LEDGER_REFUSED_RESPONSE_TEMPLATE },
          },
          // DynamoDB's 5xx (InternalServerError, ServiceUnavailable): nothing was written.
          {
            statusCode: '503',
            responseTemplates: { 'application/json': LEDGER_UNAVAILABLE_RESPONSE_TEMPLATE },
          },
        ],
      },
    });
  }

  private describe(route: ApiRoute): string {
    return `${route.method} /${this.stageName}${route.path}`;
  }

  private addGatewayResponses(): void {
    const json = (body: Record<string, string>) => ({ 'application/json': JSON.stringify(body) });
    // CDK prefixes each header name with gatewayresponse.header. itself.
    const headers = { 'Content-Type': "'application/json'" };

    // Gateway-response templates get plain variable substitution, no VTL: nothing can escape the
    // validator's text ($context.error.validationErrorString quotes property names, ["query"]), so a
    // body that held it would not be JSON. The message states the contract instead; the request id
    // finds the request in the access log.
    this.api.addGatewayResponse('BadRequestBody', {
      type: apigateway.ResponseType.BAD_REQUEST_BODY,
      statusCode: '400',
      responseHeaders: headers,
      templates: json({
        message: `The request body is not a valid submission: send a JSON object with "query" (the SQL statement, not only comments or whitespace, no NUL, up to ${MAX_QUERY_BYTES} bytes) and optionally "queryId" (1 to 64 letters, digits, - or _, starting with a letter or digit), "database", "catalog", "userId" (strings) and "executionParameters" (1 to 1000 strings); no other fields. Nothing was enqueued.`,
        requestId: '$context.requestId',
      }),
    });
    this.api.addGatewayResponse('BadRequestParameters', {
      type: apigateway.ResponseType.BAD_REQUEST_PARAMETERS,
      statusCode: '400',
      responseHeaders: headers,
      templates: json({
        message: 'A required path parameter is missing: give the query id in the path, /queries/{queryId}.',
        requestId: '$context.requestId',
      }),
    });
    this.api.addGatewayResponse('MissingAuthenticationToken', {
      type: apigateway.ResponseType.MISSING_AUTHENTICATION_TOKEN,
      statusCode: '403',
      responseHeaders: headers,
      // Lazy: routes added after this construct (the query lifecycle) are listed too.
      templates: {
        'application/json': Lazy.string({
          produce: () =>
            JSON.stringify({
              message: `Unknown route, or the request is not signed. Sign the request with SigV4 (IAM) for service execute-api; known routes: ${this.served.join(', ')}. A workload class that is not in that list does not exist.`,
            }),
        }),
      },
    });
    this.api.addGatewayResponse('AccessDenied', {
      type: apigateway.ResponseType.ACCESS_DENIED,
      statusCode: '403',
      responseHeaders: headers,
      templates: json({
        message:
          'Your IAM identity may not call this route. Each workload class has a managed policy <namePrefix>-<class>-submit that allows its own route; ask an admin to attach it to your role.',
      }),
    });
    this.api.addGatewayResponse('UnsupportedMediaType', {
      type: apigateway.ResponseType.UNSUPPORTED_MEDIA_TYPE,
      statusCode: '415',
      responseHeaders: headers,
      templates: json({ message: 'Send the body as JSON with Content-Type: application/json.' }),
    });
  }
}
