// The one entry point for Pulumi programs that add service discovery to their own environment.
export { Coalescer, type CoalescerArgs } from "./coalescer";
export { RecordCleanup, type RecordCleanupArgs } from "./recordCleanup";
export { Registrar, type RegistrarArgs } from "./registrar";
export {
  type ResolverSettings,
  ServiceDiscovery,
  type ServiceDiscoveryArgs,
  VPC_RESOLVER,
} from "./serviceDiscovery";
