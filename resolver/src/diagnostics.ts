// The resolver's own diagnostics channels (node:diagnostics_channel): what it did, for anyone who listens. Tools
// that do not use OpenTelemetry subscribe here; our OpenTelemetry bridge reads the same messages, so each event
// is published in one place. A channel with no subscriber costs one property read: messages are only built when
// `hasSubscribers` is true.
import diagnostics from "node:diagnostics_channel";
import type { Endpoint } from "./srvSelect";

/** The names of the channels, stable: they are part of the public interface. */
export const CHANNEL_NAMES = {
  /** One DNS question asked of the network (cache hits publish nothing). */
  lookup: "ecssd:resolver:lookup",
  /** One attempt of a request to a service sent to an instance (the first, or a resend after a failover). */
  attempt: "ecssd:request:attempt",
  /** An instance ejected by outlier detection. */
  ejected: "ecssd:outlier:ejected",
  /** An ejected instance back in rotation (its ejection time is over). */
  returned: "ecssd:outlier:returned",
} as const;

/** Message of {@link CHANNEL_NAMES.lookup}. */
export interface LookupMessage {
  /** The name asked, without the trailing dot. */
  readonly name: string;
  readonly type: string;
  /** From the first server asked to the answer, or to the last failure, in milliseconds. */
  readonly durationMs: number;
  /** Set when no server answered: the error's class (`TimeoutError`, `ServerFailureError`, ...). */
  readonly errorType?: string;
}

/** Message of {@link CHANNEL_NAMES.attempt}. */
export interface AttemptMessage {
  /** The SRV name of the service (`_calc._tcp.<domain>`). */
  readonly service: string;
  /** The host the caller wrote in the URL (`_calc._tcp.<domain>` or its short form). */
  readonly host: string;
  readonly endpoint: Endpoint;
  /** 0 for the first attempt of a request, 1 for the first resend, and so on (`http.request.resend_count`). */
  readonly resendCount: number;
}

/** Message of {@link CHANNEL_NAMES.ejected}. */
export interface EjectedMessage {
  readonly service: string;
  readonly endpoint: Endpoint;
  /** What tripped the ejection: consecutive 5xx, consecutive gateway errors, or connection failures. */
  readonly reason: "consecutive-5xx" | "consecutive-gateway-errors" | "connection-failures";
  /** How many times this instance has been ejected, this one included. */
  readonly ejections: number;
  /** How long it stays out, in milliseconds. */
  readonly durationMs: number;
}

/** Message of {@link CHANNEL_NAMES.returned}. */
export interface ReturnedMessage {
  readonly service: string;
  readonly endpoint: Endpoint;
}

export const lookupChannel = diagnostics.channel(CHANNEL_NAMES.lookup);
export const attemptChannel = diagnostics.channel(CHANNEL_NAMES.attempt);
export const ejectedChannel = diagnostics.channel(CHANNEL_NAMES.ejected);
export const returnedChannel = diagnostics.channel(CHANNEL_NAMES.returned);
