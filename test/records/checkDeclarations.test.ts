// Check declarations (registrator's SERVICE_<port>_CHECK_* names): read per port and portless, malformed
// settings reported once with the port kept (registered as if no check were declared), and written back.
import assert from "node:assert/strict";
import { CHECK_DEFAULTS, CHECK_FLOORS, parseServiceDeclarations, serviceDeclarationEnv } from "../../records";

describe("records: check declarations", () => {
  const declared = (env: string[], labels: Record<string, string> = {}) =>
    parseServiceDeclarations(
      ["SERVICE_8080_NAME=_web._tcp", "SERVICE_9090_NAME=_admin._tcp", ...env],
      labels,
    );
  const checkOf = (r: ReturnType<typeof declared>, port: number) =>
    r.services.find((s) => s.containerPort === port)?.check;

  const good: [string, string[], Record<string, string>, number, object | undefined][] = [
    [
      "an HTTP check with the defaults",
      ["SERVICE_8080_CHECK_HTTP=/health"],
      {},
      8080,
      { kind: "http", path: "/health", ...CHECK_DEFAULTS },
    ],
    [
      "a TCP check from a label, with every timing",
      [],
      {
        SERVICE_8080_CHECK_TCP: "true",
        SERVICE_8080_CHECK_INTERVAL: "1s",
        SERVICE_8080_CHECK_TIMEOUT: "500ms",
        SERVICE_8080_CHECK_UNHEALTHY_THRESHOLD: "2",
        SERVICE_8080_CHECK_HEALTHY_THRESHOLD: "4",
      },
      8080,
      { kind: "tcp", intervalMs: 1000, timeoutMs: 500, unhealthyThreshold: 2, healthyThreshold: 4 },
    ],
    [
      "a portless check applies to every declared port",
      ["SERVICE_CHECK_HTTP=/ping", "SERVICE_CHECK_INTERVAL=1m"],
      {},
      9090,
      { ...CHECK_DEFAULTS, kind: "http", path: "/ping", intervalMs: 60_000 },
    ],
    [
      "a port's own key wins over the portless one",
      ["SERVICE_CHECK_HTTP=/ping", "SERVICE_8080_CHECK_HTTP=/own", "SERVICE_CHECK_TIMEOUT=1s"],
      {},
      8080,
      { ...CHECK_DEFAULTS, kind: "http", path: "/own", timeoutMs: 1000 },
    ],
    ["no check keys, no check", [], {}, 8080, undefined],
    ["CHECK_TCP=false is no check", ["SERVICE_8080_CHECK_TCP=false"], {}, 8080, undefined],
  ];
  for (const [what, env, labels, port, want] of good) {
    it(`reads ${what}`, () => {
      const r = declared(env, labels);
      assert.deepEqual(r.problems, []);
      assert.deepEqual(checkOf(r, port), want);
    });
  }

  const bad: [string, string[], string][] = [
    ["a path without a slash", ["SERVICE_8080_CHECK_HTTP=health"], "SERVICE_8080_CHECK_HTTP"],
    ["a path with a space", ["SERVICE_8080_CHECK_HTTP=/a b"], "SERVICE_8080_CHECK_HTTP"],
    [
      "HTTP and TCP at once",
      ["SERVICE_8080_CHECK_HTTP=/h", "SERVICE_8080_CHECK_TCP=true"],
      "SERVICE_8080_CHECK_HTTP",
    ],
    ["a TCP flag that is not boolean", ["SERVICE_8080_CHECK_TCP=maybe"], "SERVICE_8080_CHECK_TCP"],
    [
      "an interval without a unit",
      ["SERVICE_8080_CHECK_HTTP=/h", "SERVICE_8080_CHECK_INTERVAL=5"],
      "SERVICE_8080_CHECK_INTERVAL",
    ],
    [
      "an interval too long",
      ["SERVICE_8080_CHECK_HTTP=/h", "SERVICE_8080_CHECK_INTERVAL=61m"],
      "SERVICE_8080_CHECK_INTERVAL",
    ],
    [
      "a timeout too long",
      ["SERVICE_8080_CHECK_HTTP=/h", "SERVICE_8080_CHECK_TIMEOUT=2m"],
      "SERVICE_8080_CHECK_TIMEOUT",
    ],
    [
      "a zero threshold",
      ["SERVICE_8080_CHECK_HTTP=/h", "SERVICE_8080_CHECK_UNHEALTHY_THRESHOLD=0"],
      "SERVICE_8080_CHECK_UNHEALTHY_THRESHOLD",
    ],
    [
      "a threshold that is not a number",
      ["SERVICE_8080_CHECK_HTTP=/h", "SERVICE_8080_CHECK_HEALTHY_THRESHOLD=two"],
      "SERVICE_8080_CHECK_HEALTHY_THRESHOLD",
    ],
    ["timing without a check", ["SERVICE_8080_CHECK_INTERVAL=1s"], "SERVICE_8080_CHECK_INTERVAL"],
  ];
  for (const [what, env, subject] of bad) {
    it(`reports ${what} once and registers the port without a check`, () => {
      const r = declared(env);
      assert.equal(r.problems.length, 1, JSON.stringify(r.problems));
      assert.equal(r.problems[0]?.code, "invalid-check");
      assert.equal(r.problems[0]?.subject, subject);
      assert.match(r.problems[0]?.message ?? "", /registered without a check/);
      assert.doesNotMatch(r.problems[0]?.message ?? "", /[\n\r]/);
      assert.deepEqual(
        r.services.map((s) => [s.containerPort, s.check]),
        [
          [8080, undefined],
          [9090, undefined],
        ],
      );
    });
  }

  it("reports a check for a port that declares no service, and keeps the rest", () => {
    const r = declared(["SERVICE_7000_CHECK_HTTP=/h", "SERVICE_8080_CHECK_TCP=true"]);
    assert.deepEqual(
      r.problems.map((p) => p.subject),
      ["SERVICE_7000_CHECK_*"],
    );
    assert.equal(checkOf(r, 8080)?.kind, "tcp");
  });

  // Finding 4 of issue 25: a check every 100 ms that one probe flips moved a port in and out of DNS ten times
  // a second. Below the floors the check is kept (a port published unchecked would be worse), but slower.
  const floors: [string, string[], Partial<Record<string, number>>, string[]][] = [
    [
      "an interval under a second",
      ["SERVICE_8080_CHECK_HTTP=/h", "SERVICE_8080_CHECK_INTERVAL=100ms"],
      { intervalMs: CHECK_FLOORS.intervalMs },
      ["SERVICE_8080_CHECK_INTERVAL"],
    ],
    [
      "an interval of nothing",
      ["SERVICE_8080_CHECK_HTTP=/h", "SERVICE_8080_CHECK_INTERVAL=0s"],
      { intervalMs: CHECK_FLOORS.intervalMs },
      ["SERVICE_8080_CHECK_INTERVAL"],
    ],
    [
      "thresholds of one",
      [
        "SERVICE_8080_CHECK_TCP=true",
        "SERVICE_8080_CHECK_UNHEALTHY_THRESHOLD=1",
        "SERVICE_8080_CHECK_HEALTHY_THRESHOLD=1",
      ],
      {
        unhealthyThreshold: CHECK_FLOORS.unhealthyThreshold,
        healthyThreshold: CHECK_FLOORS.healthyThreshold,
      },
      ["SERVICE_8080_CHECK_UNHEALTHY_THRESHOLD", "SERVICE_8080_CHECK_HEALTHY_THRESHOLD"],
    ],
  ];
  for (const [what, env, want, subjects] of floors) {
    it(`raises ${what} to the floor, keeps the check and says so once per key`, () => {
      const r = declared(env);
      assert.deepEqual(
        r.problems.map((p) => [p.code, p.subject]),
        subjects.map((s) => ["check-below-floor", s]),
      );
      assert.match(r.problems[0]?.message ?? "", /below the agent's floor of .*; the check uses/);
      const check = checkOf(r, 8080);
      assert.ok(check, "the port keeps its check");
      for (const [field, value] of Object.entries(want))
        assert.equal(check[field as keyof typeof check], value);
    });
  }

  it("says once that a portless key is below the floor, however many ports it applies to", () => {
    const r = declared(["SERVICE_CHECK_HTTP=/h", "SERVICE_CHECK_INTERVAL=100ms"]);
    assert.deepEqual(
      r.problems.map((p) => [p.code, p.subject]),
      [["check-below-floor", "SERVICE_CHECK_INTERVAL"]],
    );
    assert.equal(checkOf(r, 8080)?.intervalMs, 1000);
    assert.equal(checkOf(r, 9090)?.intervalMs, 1000);
  });

  it("refuses to write a check below the floor, which the agent would raise", () => {
    assert.throws(
      () =>
        serviceDeclarationEnv({
          containerPort: 8081,
          srvName: "_calc._tcp",
          check: { http: "/health", intervalMs: 200 },
        }),
      /\[check\].*below the agent's floor of 1 s/,
    );
    assert.throws(
      () =>
        serviceDeclarationEnv({
          containerPort: 8081,
          srvName: "_calc._tcp",
          check: { tcp: true, unhealthyThreshold: 1 },
        }),
      /\[check\].*UNHEALTHY_THRESHOLD.*below the agent's floor of 2/,
    );
  });

  it("writes a check that reads back as given, and refuses one that would not", () => {
    const env = serviceDeclarationEnv({
      containerPort: 8081,
      srvName: "_calc._tcp",
      check: { http: "/health", intervalMs: 1500, unhealthyThreshold: 2 },
    });
    assert.deepEqual(env, {
      SERVICE_8081_NAME: "_calc._tcp",
      SERVICE_8081_CHECK_HTTP: "/health",
      SERVICE_8081_CHECK_INTERVAL: "1500ms",
      SERVICE_8081_CHECK_UNHEALTHY_THRESHOLD: "2",
    });
    const read = parseServiceDeclarations(
      Object.entries(env).map(([k, v]) => `${k}=${v}`),
      {},
    );
    assert.deepEqual(read.services[0]?.check, {
      ...CHECK_DEFAULTS,
      kind: "http",
      path: "/health",
      intervalMs: 1500,
      unhealthyThreshold: 2,
    });
    assert.throws(
      () => serviceDeclarationEnv({ containerPort: 8081, srvName: "_calc._tcp", check: { http: "nope" } }),
      /\[check\].*must be a path/,
    );
  });
});
