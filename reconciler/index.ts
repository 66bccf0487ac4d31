// The reconciler's public surface, for the Lambda bundle, the CLI and the local stack.
export { ApiCalls, DEFAULT_RETRY_POLICY, isRetryableAwsError, type RetryPolicy } from "./apiCalls";
export {
  CONFIG_DEFAULTS,
  CONFIG_ENV_NAMES,
  configFromEnv,
  type InventoryKind,
  type ReconcilerConfig,
  reconcilerConfig,
} from "./config";
export { buildDefaultClients, type ReconcilerClients } from "./defaultClients";
export { DockerInventory, type DockerInventoryOptions } from "./dockerInventory";
export { EcsInventory, type EcsInventoryOptions } from "./ecsInventory";
export { InventoryError, ReconcilerConfigError, ZoneNotFoundError, ZoneRecordsError } from "./errors";
export { handler, type ReconcilerEvent } from "./handler";
export type { Inventory, InventorySnapshot, LiveTask } from "./inventory";
export { type ReconcileDeps, reconcile } from "./reconcile";
export type { HealthFailure, ReconcileSummary } from "./runSummary";
export type { DeleteReason } from "./staleRecords";
