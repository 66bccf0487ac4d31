// The errors the reconciler raises on purpose. Anything else from the SDKs is rethrown unchanged. The zone's
// errors are the Route53 edge's own (route53/errors.ts), the same classes the agent sees.
export { ZoneNotFoundError, ZoneRecordsError } from "../route53/errors";

/** The environment does not describe a runnable configuration; `problems` names each setting at fault. */
export class ReconcilerConfigError extends Error {
  override name = "ReconcilerConfigError";
  constructor(readonly problems: readonly string[]) {
    super(`Invalid reconciler config:\n${problems.map((p) => ` - ${p}`).join("\n")}`);
  }
}

/**
 * The inventory (ECS or Docker) could not be read completely. A run that cannot see the whole truth
 * deletes nothing: a partial inventory would make live records look stale.
 */
export class InventoryError extends Error {
  override name = "InventoryError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
