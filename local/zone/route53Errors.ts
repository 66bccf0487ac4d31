// Route53 API errors: the code the SDK turns into an exception name, and the HTTP status.

/** An error answered in Route53's XML error shape. */
export class Route53Error extends Error {
  override name = "Route53Error";
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    /** InvalidChangeBatch carries every problem of the batch. */
    readonly messages?: string[],
  ) {
    super(message);
  }
}

export function invalidChangeBatch(messages: string[]): Route53Error {
  return new Route53Error("InvalidChangeBatch", `[${messages.join(", ")}]`, 400, messages);
}

export function invalidInput(message: string): Route53Error {
  return new Route53Error("InvalidInput", message, 400);
}

export function noSuchHostedZone(id: string): Route53Error {
  return new Route53Error("NoSuchHostedZone", `No hosted zone found with ID: ${id}`, 404);
}

export function noSuchChange(id: string): Route53Error {
  return new Route53Error("NoSuchChange", `A change with the specified change ID does not exist: ${id}`, 404);
}

export function hostedZoneNotPrivate(): Route53Error {
  return new Route53Error(
    "HostedZoneNotPrivate",
    "The specified hosted zone is a public hosted zone, not a private hosted zone.",
    400,
  );
}
