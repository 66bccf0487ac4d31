// One classification of AWS errors for every caller: retryable, rejected batch, or fatal.
import assert from "node:assert/strict";
import {
  classifyError,
  InvalidChangeBatchError,
  isRetryableAwsError,
  rejectedRecordSets,
  translateError,
  ZoneBusyError,
} from "../../route53";

const aws = (name: string, status?: number, extra: object = {}) =>
  Object.assign(new Error(`${name} happened`), {
    name,
    ...(status !== undefined && { $metadata: { httpStatusCode: status } }),
    ...extra,
  });
const net = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code });

describe("route53 error classification", () => {
  // Each row: the error, its kind, and whether it counts as throttling.
  const rows: [string, unknown, "retryable" | "rejected" | "fatal", boolean][] = [
    ["Throttling", aws("Throttling", 400), "retryable", true],
    ["ThrottlingException", aws("ThrottlingException", 400), "retryable", true],
    ["ThrottledException", aws("ThrottledException", 400), "retryable", true],
    ["TooManyRequestsException", aws("TooManyRequestsException", 400), "retryable", true],
    ["RequestLimitExceeded", aws("RequestLimitExceeded", 400), "retryable", true],
    ["PriorRequestNotComplete", aws("PriorRequestNotComplete", 400), "retryable", true],
    ["HTTP 429", aws("SomethingElse", 429), "retryable", true],
    ["HTTP 500", aws("InternalFailure", 500), "retryable", false],
    ["HTTP 503", aws("ServiceUnavailable", 503), "retryable", false],
    [
      "server fault without a status",
      aws("InternalError", undefined, { $fault: "server" }),
      "retryable",
      false,
    ],
    ["ECONNREFUSED (zone restarting)", net("ECONNREFUSED"), "retryable", false],
    ["ECONNRESET", net("ECONNRESET"), "retryable", false],
    ["ETIMEDOUT", net("ETIMEDOUT"), "retryable", false],
    ["EPIPE", net("EPIPE"), "retryable", false],
    ["EHOSTUNREACH", net("EHOSTUNREACH"), "retryable", false],
    ["ENOTFOUND", net("ENOTFOUND"), "retryable", false],
    ["EAI_AGAIN", net("EAI_AGAIN"), "retryable", false],
    ["TimeoutError", aws("TimeoutError"), "retryable", false],
    ["RequestTimeout", aws("RequestTimeout"), "retryable", false],
    ["InvalidChangeBatch", aws("InvalidChangeBatch", 400), "rejected", false],
    ["InvalidInput (a DELETE that does not match)", aws("InvalidInput", 400), "rejected", false],
    ["AccessDenied", aws("AccessDenied", 403), "fatal", false],
    ["NoSuchHostedZone", aws("NoSuchHostedZone", 404), "fatal", false],
    ["a plain error", new Error("boom"), "fatal", false],
    ["not an error", "boom", "fatal", false],
    ["undefined", undefined, "fatal", false],
  ];
  for (const [name, err, kind, throttled] of rows) {
    it(`${name} → ${kind}${throttled ? " (throttled)" : ""}`, () => {
      const c = classifyError(err);
      assert.deepEqual([c.kind, c.throttled], [kind, throttled]);
      assert.equal(isRetryableAwsError(err), kind === "retryable");
      const translated = translateError(err);
      if (kind === "retryable") {
        assert.ok(translated instanceof ZoneBusyError);
        assert.equal(translated.throttled, throttled);
        assert.equal(translated.cause, err);
      } else if (kind === "rejected") {
        assert.ok(translated instanceof InvalidChangeBatchError);
        assert.equal(translated.cause, err);
      } else {
        assert.equal(translated, err, "fatal errors are left as they are");
      }
      // Translating twice changes nothing: the verdict survives.
      assert.deepEqual(
        [classifyError(translated).kind, classifyError(translated).throttled],
        [kind, throttled],
      );
    });
  }

  it("reads the record sets a rejection names", () => {
    const err = aws("InvalidChangeBatch", 400, {
      messages: [
        "Tried to delete resource record set [name='_a._tcp.z.internal.', type='SRV', set-identifier='ecssd1:h'] but the values provided do not match the current values",
        "Tried to delete resource record set [name='h.z.internal.', type='A'] but it was not found",
      ],
    });
    assert.deepEqual(rejectedRecordSets(err), [
      { Name: "_a._tcp.z.internal.", Type: "SRV", SetIdentifier: "ecssd1:h" },
      { Name: "h.z.internal.", Type: "A" },
    ]);
    assert.deepEqual(rejectedRecordSets(aws("InvalidChangeBatch", 400)), []);
  });
});
