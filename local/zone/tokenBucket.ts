// The token bucket lives in the Route53 edge (route53/tokenBucket.ts): the coalescer paces itself with the same
// bucket the local zone throttles with. Re-exported here for the local zone's own imports.
export { TokenBucket } from "../../route53/tokenBucket";
