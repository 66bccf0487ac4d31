// `ecssd status`: the zone through Route53 and the clusters through ECS, compared. See README.md.
export { STATUS_SETTINGS, type StatusConfig, StatusConfigError, statusConfigFromEnv } from "./config";
export { formatStatus } from "./formatStatus";
export { readStatus, type StatusClients } from "./readStatus";
export * from "./statusReport";
