/**
 * Host ports Docker assigns to bridge-mode containers published with hostPort 0. Amazon Linux 2023
 * hands out 32768-60999 (net.ipv4.ip_local_port_range); ECS documentation asks security groups to
 * admit 32768-65535, a superset that stays right if the kernel range is widened.
 */
export const EPHEMERAL_PORTS = { from: 32768, to: 65535 } as const;
