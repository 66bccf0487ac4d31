/**
 * Host ports Docker assigns to bridge-mode containers published with hostPort 0. Amazon Linux 2023
 * hands out 32768-60999 (net.ipv4.ip_local_port_range); ECS documentation asks security groups to
 * admit 32768-65535, a superset that stays right if the kernel range is widened.
 */
export const EPHEMERAL_PORTS = { from: 32768, to: 65535 } as const;

/**
 * The same ports as security group ranges, leaving out the ECS agent's own ports (51678 introspection, 51679
 * credentials proxy, reserved by ECS so Docker never hands them to a container): no peer, load balancer or
 * reconciler needs to reach them. `suffix` keeps each rule's resource name distinct (the first keeps the
 * name it always had).
 */
export const EPHEMERAL_PORT_RANGES = [
  { from: EPHEMERAL_PORTS.from, to: 51677, suffix: "" },
  { from: 51680, to: EPHEMERAL_PORTS.to, suffix: "-upper" },
] as const;
