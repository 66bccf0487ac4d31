// The errors the edge raises on purpose. No SDK import: the agent's core and the reconciler may use them.

/** Worth retrying after a pause: throttling, 5xx, a broken, refused or timed-out connection. */
export class ZoneBusyError extends Error {
  override name = "ZoneBusyError";
  constructor(
    message: string,
    /** True when Route53 asked us to slow down (Throttling, PriorRequestNotComplete, 429), not a failure. */
    readonly throttled: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The zone rejected the batch as it stands (e.g. deleting a record set that changed or is already gone). */
export class InvalidChangeBatchError extends Error {
  override name = "InvalidChangeBatchError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The private hosted zone could not be found by name: none, only a public one, or several. */
export class ZoneNotFoundError extends Error {
  override name = "ZoneNotFoundError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The zone's record sets could not be read or changed (e.g. a listing that makes no progress). */
export class ZoneRecordsError extends Error {
  override name = "ZoneRecordsError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
