import { z } from 'zod';
import type { WlmConfig } from '../../contracts/config';
import { RESPONSE_SCHEMAS } from '../../contracts/responses';
import { CLASS_PATH_PARAMETER, pathParametersOf, type RouteSpec, servedRoutes } from '../../contracts/routes';
import { QUERY_ID_PATTERN, submissionBodyJsonSchema } from '../../contracts/submission';

export interface OpenApiOptions {
  /**
   * Base URL of the API (with its stage on AWS).
   * @default no servers entry: tools use the URL the document was read from
   */
  readonly serverUrl?: string;
}

type JsonSchema = Record<string, unknown>;
type Parameter = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

function responseSchema(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'output' }) as JsonSchema;
}

/** Query parameters from the zod object the route validates its query string with. */
function queryParameters(schema: z.ZodType, overrides: Record<string, JsonSchema> = {}): Parameter[] {
  const object = z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input' }) as {
    properties?: Record<string, JsonSchema>;
    required?: string[];
  };
  return Object.entries(object.properties ?? {}).map(([name, property]) => {
    // `deprecated` belongs to the parameter (OpenAPI 3.0 Parameter Object), not to its schema.
    const { description, deprecated, ...schema } = { ...property, ...overrides[name] };
    return {
      name,
      in: 'query',
      required: object.required?.includes(name) ?? false,
      ...(typeof description === 'string' ? { description } : {}),
      ...(deprecated === true ? { deprecated: true } : {}),
      schema,
    };
  });
}

/** Path parameters the routes use, besides the class, which has one static path per class. */
const PATH_PARAMETERS: Readonly<Record<string, Parameter>> = {
  queryId: {
    name: 'queryId',
    in: 'path',
    required: true,
    description: 'The id the submission answered with (also the Step Functions execution name).',
    schema: { type: 'string', pattern: QUERY_ID_PATTERN },
  },
};

function pathParameter(name: string): Parameter {
  const parameter = PATH_PARAMETERS[name];
  if (!parameter) throw new Error(`The OpenAPI document has no description of path parameter {${name}}`);
  return parameter;
}

function responsesOf(route: RouteSpec): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(route.responses).map(([status, { description, body }]) => [
      status,
      body ? { description, content: { 'application/json': { schema: ref(body) } } } : { description },
    ]),
  );
}

function pascalCase(name: string): string {
  return name.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
}

/**
 * The OpenAPI 3.0 document of the API, for a given configuration: the route table, with one submission
 * path per class (as API Gateway serves them). Request schemas are the ones the API validates with, so
 * the document cannot drift from them.
 */
export function openApiDocument(config: WlmConfig, options: OpenApiOptions = {}): Record<string, unknown> {
  const classes = Object.keys(config.classes);
  const paths: Record<string, Record<string, unknown>> = {};
  const add = (path: string, route: RouteSpec, operation: { operationId: string; summary: string }) => {
    const parameters = pathParametersOf(route)
      .filter((name) => name !== CLASS_PATH_PARAMETER)
      .map(pathParameter);
    paths[path] ??= parameters.length > 0 ? { parameters } : {};
    paths[path][route.method.toLowerCase()] = {
      ...operation,
      tags: [route.tag],
      ...(route.requestBody
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: ref(route.requestBody) } },
            },
          }
        : {}),
      ...(route.queryString
        ? {
            parameters: queryParameters(route.queryString(config), {
              className: { enum: classes },
              workgroup: { enum: classes, deprecated: true },
            }),
          }
        : {}),
      responses: responsesOf(route),
    };
  };

  for (const { route, path, className, perClass } of servedRoutes(config)) {
    const description = className ? config.classes[className]?.description : undefined;
    add(
      path,
      route,
      perClass && className
        ? {
            operationId: `${route.operationId}${pascalCase(className)}`,
            summary: `Submit a query to the ${className} class${description ? ` (${description})` : ''}`,
          }
        : { operationId: route.operationId, summary: route.summary },
    );
  }

  return {
    openapi: '3.0.3',
    info: {
      title: 'athena-wlm',
      version: '1.0.0',
      description:
        'Every Amazon Athena query on one managed path: submit to a workload class, follow it, read its rows, ' +
        'cancel it. On AWS every route needs SigV4 (IAM) signing for service execute-api, and a query is seen ' +
        'and cancelled only by its submitter, the admins and, where its class shares, the class members. The ' +
        'local runtime (npm start) serves the same routes to this machine only; a client there may act as a ' +
        'principal by naming it in the x-athena-wlm-principal header, and is the local operator (an admin) otherwise.',
    },
    ...(options.serverUrl ? { servers: [{ url: options.serverUrl }] } : {}),
    security: [{ sigv4: [] }],
    tags: [
      { name: 'submit', description: 'Queue a query in a workload class.' },
      { name: 'queries', description: 'Follow, read, cancel and list queries.' },
      { name: 'classes', description: 'Workload classes and their capacity.' },
    ],
    paths,
    components: {
      securitySchemes: {
        sigv4: {
          type: 'apiKey',
          name: 'Authorization',
          in: 'header',
          description: 'AWS Signature Version 4 for service execute-api (IAM authorization).',
          'x-amazon-apigateway-authtype': 'awsSigv4',
        },
      },
      schemas: {
        SubmissionBody: submissionBodyJsonSchema(),
        ...Object.fromEntries(
          Object.entries(RESPONSE_SCHEMAS).map(([name, schema]) => [name, responseSchema(schema)]),
        ),
      },
    },
  };
}
