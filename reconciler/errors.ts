// The errors the reconciler raises on purpose. Anything else from the SDKs is rethrown unchanged.

/** The environment does not describe a runnable configuration; `problems` names each setting at fault. */
export class ReconcilerConfigError extends Error {
  override name = "ReconcilerConfigError";
  constructor(readonly problems: readonly string[]) {
    super(`Invalid reconciler config:\n${problems.map((p) => ` - ${p}`).join("\n")}`);
  }
}

/** The hosted zone could not be found (or was ambiguous) by name. */
export class ZoneNotFoundError extends Error {
  override name = "ZoneNotFoundError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
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

/** The zone's record sets could not be read or changed. */
export class ZoneRecordsError extends Error {
  override name = "ZoneRecordsError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
