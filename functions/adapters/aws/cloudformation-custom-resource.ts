/** What CloudFormation sends a Lambda-backed custom resource (the fields used here). */
export interface CustomResourceEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly ResponseURL: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: Readonly<Record<string, unknown>>;
}

/** What the resource's work reports: its id and the attributes `Fn::GetAtt` can read. */
export interface CustomResourceResult {
  readonly physicalResourceId: string;
  readonly data?: Readonly<Record<string, string>>;
}

/** Sends the response document to the pre-signed URL CloudFormation gave. */
export type ResponsePutter = (url: string, body: string) => Promise<void>;

export const putResponse: ResponsePutter = async (url, body) => {
  // The URL is a pre-signed S3 PUT: no content type, as CloudFormation's own cfn-response sends it.
  const answer = await fetch(url, { method: 'PUT', body, headers: { 'content-type': '' } });
  if (!answer.ok) throw new Error(`CloudFormation's response URL answered HTTP ${answer.status}`);
};

/**
 * Runs a custom resource's work and always answers CloudFormation (SUCCESS with the result, or FAILED
 * with the error's message as the reason), since an unanswered request holds the stack for an hour.
 */
export async function answerCustomResource(
  event: CustomResourceEvent,
  work: (event: CustomResourceEvent) => Promise<CustomResourceResult>,
  put: ResponsePutter = putResponse,
): Promise<'SUCCESS' | 'FAILED'> {
  let response: Record<string, unknown>;
  try {
    const result = await work(event);
    response = {
      Status: 'SUCCESS',
      PhysicalResourceId: result.physicalResourceId,
      ...(result.data ? { Data: result.data } : {}),
    };
  } catch (error) {
    response = {
      Status: 'FAILED',
      Reason: (error as Error).message.slice(0, 3000),
      PhysicalResourceId: event.PhysicalResourceId ?? event.LogicalResourceId,
    };
  }
  await put(
    event.ResponseURL,
    JSON.stringify({
      ...response,
      StackId: event.StackId,
      RequestId: event.RequestId,
      LogicalResourceId: event.LogicalResourceId,
    }),
  );
  return response.Status as 'SUCCESS' | 'FAILED';
}
