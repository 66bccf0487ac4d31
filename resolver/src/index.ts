// @ecssd/resolver: DNS SRV service discovery with a TTL cache, RFC 2782 selection and failover.
export {
  type AvailabilityZoneOptions,
  type AvailabilityZoneResult,
  type AvailabilityZoneSource,
  AZ_ID_PATTERN,
  discoverAvailabilityZone,
} from "./availabilityZone";
export { isConnectionError } from "./connectionErrors";
export {
  type AttemptMessage,
  CHANNEL_NAMES,
  type EjectedMessage,
  type LookupMessage,
  type ReturnedMessage,
} from "./diagnostics";
export {
  type FailedQuery,
  NotFoundError,
  ResolverError,
  type ServerAttempt,
  ServerFailureError,
  ServiceUnavailableError,
  TimeoutError,
} from "./errors";
export { type InstanceAttempt, ServiceRequestError } from "./failover";
export { type Nameserver, parseNameserver, parseResolvConf } from "./nameservers";
export {
  type InstanceOutlierStats,
  OUTLIER_DEFAULTS,
  type Outcome,
  type OutlierDetectionOptions,
  type OutlierStats,
  type ServiceOutlierStats,
} from "./outlierDetection";
export {
  createResolver,
  Resolver,
  type ResolverOptions,
  type ResolverStats,
  type WithEndpointOptions,
} from "./resolver";
export { createAgent, type ServiceAgentOptions } from "./serviceAgent";
export { createDispatcher, type ServiceDispatcherOptions } from "./serviceDispatcher";
export { DEFAULT_DOMAIN, expandServiceName } from "./serviceName";
export { serviceTarget } from "./serviceTarget";
export type { Endpoint, RandomSource } from "./srvSelect";
export {
  ATTR_SERVICE,
  enableOpenTelemetry,
  METRIC_NAMES,
  type MeterProviderLike,
  type OpenTelemetryOptions,
  type ResolverInstrumentation,
} from "./telemetry";
export { type SpanAttributes, type UndiciRequestLike, undiciStartSpanHook } from "./undiciSpans";
export type { ZoneAwareOptions } from "./zoneAware";
