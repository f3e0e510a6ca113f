/**
 * Runs what API Gateway runs for a REST API method with a non-proxy (AWS) integration, from the
 * synthesized template: mapping-template selection by Content-Type, the request model, the request
 * template (VTL, here velocityjs) with `$input`, `$util`, `$context` and request overrides, the
 * integration-response selection and template, and gateway responses (plain variable substitution, no
 * VTL). Each behaviour follows the API Gateway developer guide, cited where it is modelled.
 */
import Ajv from 'ajv-draft-04';
import { Compile, parse } from 'velocityjs';

type Json = Record<string, unknown>;

// ---------- $util: the Java implementations API Gateway documents ----------

const hex4 = (code: number) => code.toString(16).toUpperCase().padStart(4, '0');

/**
 * `$util.escapeJavaScript`: "Escapes the characters in a string using JavaScript string rules", which is
 * Apache Commons Lang's StringEscapeUtils.escapeJavaScript: `'` becomes `\'` (not valid in JSON), `/`
 * becomes `\/`, control characters their short escapes or `\u00XX`, and every character above 0x7F
 * `\uXXXX` (upper-case hex, one per UTF-16 unit).
 */
export function javaEscapeJavaScript(text: string): string {
  let out = '';
  for (const char of text.split('')) {
    const code = char.charCodeAt(0);
    if (code > 0x7f) out += `\\u${hex4(code)}`;
    else if (code < 32) {
      const short: Record<number, string> = { 8: '\\b', 9: '\\t', 10: '\\n', 12: '\\f', 13: '\\r' };
      out += short[code] ?? `\\u${hex4(code)}`;
    } else if (char === "'" || char === '"' || char === '\\' || char === '/') out += `\\${char}`;
    else out += char;
  }
  return out;
}

/**
 * `$util.urlEncode`: Java's URLEncoder.encode(text, "UTF-8"): letters, digits and `.-*_` stay, a space
 * becomes `+`, everything else is percent-encoded UTF-8 (upper-case); an unpaired surrogate is encoded as
 * `?`, as Java's UTF-8 encoder replaces it.
 */
export function javaUrlEncode(text: string): string {
  const wellFormed = text.replace(
    /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
    '?',
  );
  return [...Buffer.from(wellFormed, 'utf8')]
    .map((byte) => {
      const char = String.fromCharCode(byte);
      if (/[A-Za-z0-9.\-*_]/.test(char)) return char;
      if (char === ' ') return '+';
      return `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
}

/** How SQS (and any form endpoint) reads an `application/x-www-form-urlencoded` body. */
export function decodeForm(body: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(body));
}

// ---------- $input ----------

/** The JSONPath subset the templates use (`$`, `$.a.b`, `$['a']`, `$.a[0]`); anything else throws. */
export function jsonPath(root: unknown, path: string): unknown {
  if (!path.startsWith('$')) throw new Error(`JSONPath ${path} does not start with $`);
  const steps = [...path.slice(1).matchAll(/\.([A-Za-z_][A-Za-z0-9_-]*)|\['([^']*)'\]|\[(\d+)\]/g)];
  if (steps.map((s) => s[0]).join('') !== path.slice(1)) {
    throw new Error(`JSONPath ${path} uses syntax this emulation does not model`);
  }
  let value: unknown = root;
  for (const [, dotted, quoted, index] of steps) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[dotted ?? quoted ?? Number(index)];
  }
  return value;
}

/**
 * `$input` of a mapping template: `path(x)` "returns a JSONPath expression string (x) to a JSON object
 * representation" (undefined when absent), `json(x)` "evaluates a JSONPath expression and returns the
 * results as a JSON string", `body` "returns the raw request payload as a string".
 */
function inputVariable(body: string, params: Record<string, Record<string, string>>) {
  const parsed = () => (body.trim() === '' ? {} : (JSON.parse(body) as unknown));
  return {
    body,
    path: (expression: string) => jsonPath(parsed(), expression) ?? undefined,
    json: (expression: string) => {
      const value = jsonPath(parsed(), expression);
      return value === undefined ? '' : JSON.stringify(value);
    },
    params: (name?: string) => {
      if (name === undefined) return params;
      for (const where of ['path', 'querystring', 'header']) {
        const found = params[where]?.[name];
        if (found !== undefined) return found;
      }
      return '';
    },
  };
}

// ---------- $context ----------

/** What API Gateway knows of one request (`$context`). */
export interface RequestFacts {
  readonly requestId: string;
  readonly requestTimeEpoch: number;
  readonly userArn: string;
  readonly domainName: string;
  readonly stage: string;
}

/** Header, path and query-string overrides; "Overrides are final": setting one twice is a 5XX. */
function overrideMap(kind: string): Record<string, string> {
  return new Proxy({} as Record<string, string>, {
    set(target, key, value) {
      if (typeof key === 'string' && key in target) {
        throw new Error(`${kind} override ${key} set twice: API Gateway answers 5XX`);
      }
      target[key as string] = String(value);
      return true;
    },
  });
}

/**
 * One request's `$context`. The same object serves the request template, the integration response
 * template and the access log, so a request override set by the request template is readable later in
 * the request (API Gateway lists `$context.requestOverride.*` among its request's context variables, the
 * access-log ones included).
 */
export function requestContext(facts: RequestFacts) {
  return {
    requestId: facts.requestId,
    requestTimeEpoch: facts.requestTimeEpoch,
    domainName: facts.domainName,
    stage: facts.stage,
    identity: { userArn: facts.userArn },
    requestOverride: {
      header: overrideMap('header'),
      path: overrideMap('path'),
      querystring: overrideMap('querystring'),
    },
    responseOverride: { header: overrideMap('response header'), status: undefined as string | undefined },
  };
}
export type RequestContext = ReturnType<typeof requestContext>;

/** Renders a mapping template with velocityjs and API Gateway's variables. */
export function renderMappingTemplate(
  template: string,
  variables: { readonly input: ReturnType<typeof inputVariable>; readonly context: RequestContext },
): string {
  const util = {
    escapeJavaScript: javaEscapeJavaScript,
    urlEncode: javaUrlEncode,
    urlDecode: (text: string) => decodeURIComponent(text.replace(/\+/g, ' ')),
    parseJson: (text: string) => JSON.parse(text) as unknown,
    base64Encode: (text: string) => Buffer.from(text, 'utf8').toString('base64'),
    base64Decode: (text: string) => Buffer.from(text, 'base64').toString('utf8'),
  };
  return new Compile(parse(template)).render({ ...variables, util });
}

// ---------- gateway responses ----------

/**
 * A gateway response's body: "A GatewayResponse mapping template isn't processed by the Velocity Template
 * Language (VTL) engine", it supports "only simple variable substitution". A variable the emulation
 * does not know throws, so a misspelt one fails the test rather than rendering blank.
 */
export function renderGatewayResponse(template: string, variables: Json): string {
  const name = '((?:context|stageVariables)(?:\\.[A-Za-z0-9_]+)+)';
  return template.replace(
    new RegExp(`\\$(?:\\{${name}\\}|${name})`, 'g'),
    (_, braced?: string, plain?: string) => {
      const path = (braced ?? plain) as string;
      const value = path.split('.').reduce<unknown>((v, key) => (v as Json | undefined)?.[key], variables);
      if (value === undefined)
        throw new Error(`gateway response uses $${path}, which this emulation does not set`);
      return String(value);
    },
  );
}

/** A gateway response's headers from its ResponseParameters (`gatewayresponse.header.<name>`: `'literal'`). */
export function gatewayResponseHeaders(
  responseParameters: Record<string, string> = {},
): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(responseParameters)) {
    const match = /^gatewayresponse\.header\.([^.]+)$/.exec(key);
    if (!match)
      throw new Error(`${key} is not gatewayresponse.header.<name>: API Gateway rejects or misnames it`);
    const literal = /^'(.*)'$/.exec(value);
    if (!literal) throw new Error(`${key} maps ${value}, which this emulation does not model`);
    headers[match[1]] = literal[1];
  }
  return headers;
}

// ---------- one method ----------

export interface MethodRequest {
  readonly body: string;
  /** Request headers; names are matched case-insensitively. */
  readonly headers?: Readonly<Record<string, string>>;
  readonly facts: RequestFacts;
}

/** What the integration (the AWS service) is sent. */
export interface IntegrationRequest {
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface IntegrationAnswer {
  readonly statusCode: number;
  readonly body: string;
}

export interface MethodAnswer {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Set when the request reached the integration. */
  readonly integrationRequest?: IntegrationRequest;
  /** Set when API Gateway answered itself (a gateway response of that type). */
  readonly gatewayResponseType?: string;
}

export interface ApiGatewayTemplate {
  readonly Resources: Record<string, { Type: string; Properties?: Json }>;
}

function header(headers: Readonly<Record<string, string>> = {}, name: string): string | undefined {
  return Object.entries(headers).find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1];
}

/**
 * The media type a request's templates and models are chosen by: its Content-Type without parameters,
 * and "application/json" when the header is absent ("API Gateway defaults to application/json").
 */
export function mediaTypeOf(headers?: Readonly<Record<string, string>>): string {
  const contentType = header(headers, 'content-type');
  return contentType === undefined ? 'application/json' : contentType.split(';')[0].trim().toLowerCase();
}

function plainString(value: unknown): string {
  if (typeof value !== 'string') throw new Error(`template ${JSON.stringify(value)} is not a plain string`);
  return value;
}

/** The API Gateway stand-in for one synthesized REST API. */
export class ApiGatewayEmulator {
  private readonly ajv = new Ajv({ allErrors: true, strict: false });

  /**
   * `resolve` evaluates a mapping template that holds CloudFormation intrinsics (a table's name, say);
   * by default only plain strings are accepted.
   */
  constructor(
    private readonly template: ApiGatewayTemplate,
    private readonly resolve: (value: unknown) => string = plainString,
  ) {}

  private resources(type: string): [string, Json][] {
    return Object.entries(this.template.Resources)
      .filter(([, r]) => r.Type === type)
      .map(([id, r]) => [id, r.Properties ?? {}]);
  }

  /** The gateway response of a type, rendered with this request's context and error. */
  gatewayResponse(type: string, context: RequestContext, error: Json = {}): MethodAnswer {
    const found = this.resources('AWS::ApiGateway::GatewayResponse').find(
      ([, p]) => p.ResponseType === type,
    )?.[1];
    if (!found) throw new Error(`no gateway response of type ${type} in the template`);
    const templates = (found.ResponseTemplates ?? {}) as Record<string, string>;
    const body = renderGatewayResponse(templates['application/json'] ?? '', {
      context: { ...context, error },
    });
    return {
      statusCode: Number(found.StatusCode),
      headers: gatewayResponseHeaders(found.ResponseParameters as Record<string, string> | undefined),
      body,
      gatewayResponseType: type,
    };
  }

  /**
   * Runs a request through a method with an AWS integration: template selection (passthrough NEVER: no
   * template for the media type is a 415), the request model (a body that fails it is BAD_REQUEST_BODY
   * with the validator's text), the request template, the integration, then the integration response
   * whose SelectionPattern matches the status code (or the default one) and its template.
   */
  invoke(
    method: Json,
    request: MethodRequest,
    integration: (sent: IntegrationRequest) => IntegrationAnswer,
  ): MethodAnswer {
    const spec = method.Integration as Json;
    const context = requestContext(request.facts);
    const mediaType = mediaTypeOf(request.headers);
    const requestTemplates = (spec.RequestTemplates ?? {}) as Record<string, unknown>;
    const requestTemplate =
      requestTemplates[mediaType] === undefined ? undefined : this.resolve(requestTemplates[mediaType]);
    if (requestTemplate === undefined) {
      if (spec.PassthroughBehavior !== 'NEVER') throw new Error('only passthrough NEVER is modelled');
      return this.gatewayResponse('UNSUPPORTED_MEDIA_TYPE', context, {
        message: 'Unsupported Media Type',
        messageString: '"Unsupported Media Type"',
      });
    }
    const modelError = this.validateBody(method, mediaType, request.body);
    if (modelError !== undefined) {
      return this.gatewayResponse('BAD_REQUEST_BODY', context, {
        message: 'Invalid request body',
        messageString: '"Invalid request body"',
        validationErrorString: modelError,
      });
    }

    const input = inputVariable(request.body, { header: { ...request.headers } });
    const body = renderMappingTemplate(requestTemplate, { input, context });
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries((spec.RequestParameters ?? {}) as Record<string, string>)) {
      const name = /^integration\.request\.header\.(.+)$/.exec(key)?.[1];
      const literal = /^'(.*)'$/.exec(value)?.[1];
      if (!name || literal === undefined)
        throw new Error(`request parameter ${key}=${value} is not modelled`);
      headers[name] = literal;
    }
    Object.assign(headers, context.requestOverride.header);
    const integrationRequest = { body, headers };
    const answer = integration(integrationRequest);

    const responses = (spec.IntegrationResponses ?? []) as Json[];
    const status = String(answer.statusCode);
    const chosen =
      responses.find(
        (r) =>
          typeof r.SelectionPattern === 'string' && new RegExp(`^(?:${r.SelectionPattern})$`).test(status),
      ) ?? responses.find((r) => r.SelectionPattern === undefined);
    if (!chosen) throw new Error(`no integration response for status ${status}`);
    const responseTemplate = ((chosen.ResponseTemplates ?? {}) as Record<string, string>)['application/json'];
    const responseBody =
      responseTemplate === undefined
        ? answer.body
        : renderMappingTemplate(responseTemplate, { input: inputVariable(answer.body, {}), context });
    return {
      statusCode: Number(context.responseOverride.status ?? chosen.StatusCode),
      headers: { 'Content-Type': 'application/json', ...context.responseOverride.header },
      body: responseBody,
      integrationRequest,
    };
  }

  /** The model's error text in the validator's words, or undefined when the body passes. */
  private validateBody(method: Json, mediaType: string, body: string): string | undefined {
    const models = (method.RequestModels ?? {}) as Record<string, { Ref?: string } | string>;
    const model = models[mediaType];
    if (model === undefined) return undefined;
    const modelName = typeof model === 'string' ? model : model.Ref;
    const found = this.resources('AWS::ApiGateway::Model').find(
      ([id, p]) => id === modelName || p.Name === modelName,
    )?.[1];
    if (!found) throw new Error(`request model ${JSON.stringify(model)} is not in the template`);
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch (error) {
      return `[Invalid JSON: ${(error as Error).message}]`;
    }
    const validate = this.ajv.compile(found.Schema as Json);
    if (validate(value)) return undefined;
    // API Gateway's validator names properties in JSON arrays: ["query"], so its text holds quotes.
    return `[${(validate.errors ?? [])
      .map((e) =>
        e.keyword === 'required'
          ? `object has missing required properties (["${(e.params as { missingProperty: string }).missingProperty}"])`
          : e.keyword === 'additionalProperties'
            ? `object instance has properties which are not allowed by the schema: ["${(e.params as { additionalProperty: string }).additionalProperty}"]`
            : `${e.instancePath || 'instance'} ${e.message}`,
      )
      .join(', ')}]`;
  }
}
