// The coalescer's HTTP API as both ends know it: its routes, the names the agent counts its calls under, its
// bounds and its error codes. The server (httpApi.ts) and the agent's client (agent/coalescerZone.ts) both
// import it, so neither can drift from the other; it loads nothing but these constants.

/** Where each route lives; `{hostId}` is one host id (records/checkHostId). */
export const COALESCER_ROUTES = {
  hostRecordSets: "GET /v1/hosts/{hostId}/record-sets",
  readNames: "POST /v1/record-sets/read",
  changes: "POST /v1/hosts/{hostId}/changes",
  status: "GET /v1/status",
} as const;

export type CoalescerRoute = (typeof COALESCER_ROUTES)[keyof typeof COALESCER_ROUTES];

export const COALESCER_API_LIMITS = {
  /** A request body, bytes: a full batch of 1,000 changes is about a third of it. */
  bodyBytes: 1024 * 1024,
  /** Names one read may ask for; the client splits longer lists. */
  namesPerRead: 500,
  /** Changes one submit may carry: one ChangeResourceRecordSets' worth, as the agent batches them. */
  changesPerSubmit: 1_000,
} as const;

/** The `error` of a refusal, by what the client should do about it. */
export type CoalescerErrorCode =
  /** No bearer token, or not the coalescer's (ECSSD_COALESCER_TOKEN): fix the agent's setting. */
  | "Unauthorized"
  /** The body, path or query is not what the route takes: fix the request. */
  | "BadRequest"
  /** A change of a set the host in the path does not own. */
  | "Forbidden"
  /** The changes were refused as they stand (Route53's InvalidChangeBatch): re-read and rebuild them. */
  | "InvalidChangeBatch"
  /** The coalescer is stopping (or the zone cannot be reached): try again later. */
  | "Busy"
  | "NotFound"
  | "MethodNotAllowed"
  | "PayloadTooLarge"
  | "Internal";

export interface CoalescerErrorBody {
  readonly error: CoalescerErrorCode;
  readonly message?: string;
}
