// The counting, retrying wrapper now lives in the AWS edge (route53/awsCall.ts), shared with the registrar;
// these names stay for the callers that import them from here.

export { ApiCalls, AwsCall } from "../route53/awsCall";
export { isRetryableAwsError } from "../route53/errorClass";
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from "../route53/retry";
