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
export { EcsTaskStopper } from "./ecsTaskStopper";
export { InventoryError, ReconcilerConfigError, ZoneNotFoundError, ZoneRecordsError } from "./errors";
export { handler, type ReconcilerEvent } from "./handler";
export type { HealthChecker, HealthResult, HealthTarget } from "./healthChecker";
export type { Inventory, InventorySnapshot, LiveTask } from "./inventory";
export { type ReconcilePorts, runReconcile } from "./reconcile";
export type { DeleteReason, PlannedDelete, PlannedStop, ReconcilePlan } from "./reconcilePlan";
export type { ReconcilerZone, ZoneDeleteOutcome } from "./reconcilerZone";
export { type ReconcileDeps, reconcile } from "./reconcileWithClients";
export { Route53ReconcilerZone } from "./route53Zone";
export type { HealthFailure, ReconcileSummary } from "./runSummary";
export type { TaskStopper } from "./taskStopper";
