// The one edge to AWS for every writer and reader of the zone: the agent, the reconciler, the registrar, the
// destroy-time cleanup and the local stack. Files without an SDK import (errors, errorClass, backoff, retry,
// changeBatches, awsCall) may be imported on their own by code that must not load the SDK (the agent's core).
// The ECS factories (ecsClient.ts, lambdaClients.ts) are imported file by file, never from here, so that
// whoever loads this index (the agent) does not load the ECS SDK.
export { ApiCalls, AwsCall } from "./awsCall";
export { Backoff, type BackoffOptions, fullJitterDelayMs } from "./backoff";
export { type Route53Call, sendOnce } from "./call";
export {
  CHANGE_BATCH_LIMITS,
  type ChangeAction,
  changeSize,
  firstBatch,
  type SizedChange,
  splitIntoBatches,
  unitBatches,
} from "./changeBatches";
export { changeRecordSets, type ZoneChange } from "./changeRecordSets";
export { type AwsClientBaseOptions, awsClientBase, type Route53ClientOptions, route53Client } from "./client";
export {
  classifyError,
  type ErrorClass,
  type ErrorKind,
  isRejectedBatch,
  isRetryableAwsError,
  rejectedRecordSets,
  translateError,
} from "./errorClass";
export { InvalidChangeBatchError, ZoneBusyError, ZoneNotFoundError, ZoneRecordsError } from "./errors";
export {
  type DeleteOutcome,
  deleteExactly,
  type ExactDelete,
  type ExactDeleteOptions,
  exactDeleteBatches,
  readRecordSet,
} from "./exactDeletes";
export {
  listZoneRecordSets,
  type RecordSetPagesOptions,
  ROUTE53_PAGE_SIZE,
  recordSetPages,
  type ZonePosition,
} from "./recordSetPages";
export {
  isRecordSetQuotaError,
  QUOTA_ADVICE,
  QUOTA_WARNING_INTERVAL_MS,
  type QuotaLog,
  QuotaWarning,
  type QuotaZone,
  quotaWarningText,
  type RecordSetUsage,
} from "./recordSetQuota";
export { decodeRoute53Name, fromRoute53, toRoute53 } from "./recordSetShape";
export { hostedZoneRecordSetUsage } from "./recordSetUsage";
export { DEFAULT_RETRY_POLICY, type RetryHooks, type RetryPolicy, withRetries } from "./retry";
export { findPrivateZoneId, stripZoneId, type ZoneRef, zoneIdCache } from "./zoneLookup";
