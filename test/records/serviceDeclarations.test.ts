import assert from "node:assert/strict";
import fc from "fast-check";
import {
  parseServiceDeclarations,
  ServiceDeclarationError,
  type ServiceDeclarationInput,
  serviceDeclarationEnv,
} from "../../records";

describe("records: service declarations", () => {
  it("reads a service from the environment with default priority and weight", () => {
    const r = parseServiceDeclarations(["PATH=/bin", "SERVICE_8081_NAME=_calc._tcp"], {});
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.services, [
      {
        containerPort: 8081,
        service: "calc",
        protocol: "tcp",
        srvName: "_calc._tcp",
        priority: 1,
        weight: 1,
      },
    ]);
  });

  it("reads several ports, labels and environment alike, with priority and weight", () => {
    const r = parseServiceDeclarations(["SERVICE_53_NAME=_dns._udp", "SERVICE_53_WEIGHT=0"], {
      SERVICE_80_NAME: "_Web._TCP",
      SERVICE_80_PRIORITY: "10",
      SERVICE_80_WEIGHT: "65535",
    });
    assert.deepEqual(r.problems, []);
    assert.deepEqual(
      r.services.map((s) => [s.containerPort, s.srvName, s.priority, s.weight]),
      [
        [53, "_dns._udp", 1, 0],
        [80, "_web._tcp", 10, 65535],
      ],
    );
  });

  it("skips the whole container on SERVICE_IGNORE=true", () => {
    const r = parseServiceDeclarations(["SERVICE_80_NAME=_web._tcp", "SERVICE_IGNORE=true"], null);
    assert.equal(r.ignored, true);
    assert.deepEqual(r.services, []);
  });

  it("ignores variables that are not service declarations, including other tools' SERVICE_ keys", () => {
    const r = parseServiceDeclarations(["SECRET=hunter2", "SERVICE_TAGS=a,b", "=x", "noequals"], undefined);
    assert.deepEqual(r, { ignored: false, services: [], problems: [] });
  });

  const hostile: Array<[string, string[], Record<string, string>, string, string]> = [
    ["empty name", ["SERVICE_80_NAME="], {}, "invalid-service-name", "SERVICE_80_NAME"],
    ["name without protocol", ["SERVICE_80_NAME=_calc"], {}, "invalid-service-name", "SERVICE_80_NAME"],
    ["wrong protocol label", ["SERVICE_80_NAME=_calc._sctp"], {}, "invalid-service-name", "SERVICE_80_NAME"],
    ["missing underscore", ["SERVICE_80_NAME=calc.tcp"], {}, "invalid-service-name", "SERVICE_80_NAME"],
    ["non-ASCII name", ["SERVICE_80_NAME=_cälc._tcp"], {}, "invalid-service-name", "SERVICE_80_NAME"],
    [
      "overlong name",
      [`SERVICE_80_NAME=_${"a".repeat(64)}._tcp`],
      {},
      "invalid-service-name",
      "SERVICE_80_NAME",
    ],
    [
      "an EC2 instance id",
      ["SERVICE_80_NAME=_i-0abc12345def67890._tcp"],
      {},
      "reserved-service-name",
      "SERVICE_80_NAME",
    ],
    [
      "a short EC2 instance id",
      ["SERVICE_80_NAME=_i-0abc1234._tcp"],
      {},
      "reserved-service-name",
      "SERVICE_80_NAME",
    ],
    [
      "an ECS task id",
      ["SERVICE_80_NAME=_0123456789abcdef0123456789abcdef._tcp"],
      {},
      "reserved-service-name",
      "SERVICE_80_NAME",
    ],
    [
      "an older ECS task id (a UUID), upper case",
      ["SERVICE_80_NAME=_0123ABCD-0123-4567-89AB-0123456789AB._udp"],
      {},
      "reserved-service-name",
      "SERVICE_80_NAME",
    ],
    ["port 0", ["SERVICE_0_NAME=_calc._tcp"], {}, "invalid-port", "SERVICE_0_NAME"],
    ["port 70000", ["SERVICE_70000_NAME=_calc._tcp"], {}, "invalid-port", "SERVICE_70000_NAME"],
    ["port with leading zero", ["SERVICE_080_NAME=_calc._tcp"], {}, "invalid-port", "SERVICE_080_NAME"],
    ["empty port", ["SERVICE__NAME=_calc._tcp"], {}, "invalid-port", "SERVICE__NAME"],
    ["non-numeric port", ["SERVICE_http_NAME=_calc._tcp"], {}, "invalid-port", "SERVICE_http_NAME"],
    [
      "priority out of range",
      ["SERVICE_80_NAME=_a._tcp", "SERVICE_80_PRIORITY=65536"],
      {},
      "invalid-priority",
      "SERVICE_80_PRIORITY",
    ],
    [
      "negative weight",
      ["SERVICE_80_NAME=_a._tcp", "SERVICE_80_WEIGHT=-1"],
      {},
      "invalid-weight",
      "SERVICE_80_WEIGHT",
    ],
    ["weight without name", ["SERVICE_80_WEIGHT=5"], {}, "missing-name", "SERVICE_80_NAME"],
    [
      "duplicated port, different services",
      ["SERVICE_80_NAME=_a._tcp"],
      { SERVICE_80_NAME: "_b._tcp" },
      "conflicting-declaration",
      "SERVICE_80_NAME",
    ],
    ["bad ignore flag", ["SERVICE_IGNORE=maybe"], {}, "invalid-ignore", "SERVICE_IGNORE"],
  ];
  for (const [what, env, labels, code, subject] of hostile) {
    it(`names the problem and skips the port: ${what}`, () => {
      const r = parseServiceDeclarations([...env, "SERVICE_9_NAME=_ok._tcp"], labels);
      assert.equal(r.problems.length, 1, JSON.stringify(r.problems));
      assert.equal(r.problems[0]?.code, code);
      assert.equal(r.problems[0]?.subject, subject);
      assert.match(r.problems[0]?.message ?? "", /\S/);
      assert.deepEqual(
        r.services.map((s) => s.srvName),
        ["_ok._tcp"],
        "the well-formed port is kept",
      );
    });
  }

  it("keeps messages on one printable line whatever the value holds", () => {
    const r = parseServiceDeclarations(["SERVICE_80_NAME=_a\n\u0000b._tcp"], {});
    assert.equal(r.problems[0]?.code, "invalid-service-name");
    const message = r.problems[0]?.message ?? "";
    assert.ok(!message.includes("\n") && !message.includes(String.fromCharCode(0)), message);
  });

  it("accepts the same declaration given as both label and variable", () => {
    const r = parseServiceDeclarations(["SERVICE_80_NAME=_a._tcp"], { SERVICE_80_NAME: "_a._tcp" });
    assert.deepEqual(r.problems, []);
    assert.equal(r.services.length, 1);
  });

  describe("serviceDeclarationEnv", () => {
    /** Formats, then reads back as the agent would, from the environment and from labels. */
    const roundTrip = (decl: ServiceDeclarationInput) => {
      const env = serviceDeclarationEnv(decl);
      const fromEnv = parseServiceDeclarations(
        Object.entries(env).map(([k, v]) => `${k}=${v}`),
        {},
      );
      const fromLabels = parseServiceDeclarations([], env);
      assert.deepEqual(fromLabels, fromEnv);
      return { env, read: fromEnv };
    };

    const cases: [ServiceDeclarationInput, Record<string, string>][] = [
      [{ containerPort: 8081, srvName: "_calc._tcp" }, { SERVICE_8081_NAME: "_calc._tcp" }],
      [
        { containerPort: 53, srvName: "_dns._udp", priority: 0, weight: 65535 },
        { SERVICE_53_NAME: "_dns._udp", SERVICE_53_PRIORITY: "0", SERVICE_53_WEIGHT: "65535" },
      ],
      [
        { containerPort: 65535, srvName: "_a-1._tcp", weight: 5 },
        { SERVICE_65535_NAME: "_a-1._tcp", SERVICE_65535_WEIGHT: "5" },
      ],
    ];
    for (const [decl, env] of cases) {
      it(`writes ${JSON.stringify(env)}, which reads back as given`, () => {
        const r = roundTrip(decl);
        assert.deepEqual(r.env, env);
        assert.deepEqual(r.read.problems, []);
        assert.deepEqual(r.read.services, [
          {
            containerPort: decl.containerPort,
            service: decl.srvName.slice(1, decl.srvName.indexOf(".")),
            protocol: decl.srvName.endsWith("._udp") ? "udp" : "tcp",
            srvName: decl.srvName,
            priority: decl.priority ?? 1,
            weight: decl.weight ?? 1,
          },
        ]);
      });
    }

    it("round-trips every valid declaration (property)", () => {
      const srvName = fc
        .tuple(fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/), fc.constantFrom("tcp", "udp"))
        .map(([service, proto]) => `_${service}._${proto}`);
      const u16 = fc.integer({ min: 0, max: 65535 });
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 65535 }),
          srvName,
          fc.option(u16, { nil: undefined }),
          fc.option(u16, { nil: undefined }),
          (containerPort, name, priority, weight) => {
            const decl = { containerPort, srvName: name, priority, weight };
            const { read } = roundTrip(decl);
            assert.deepEqual(read.problems, []);
            assert.equal(read.services.length, 1);
            const [service] = read.services;
            assert.equal(service?.containerPort, containerPort);
            assert.equal(service?.srvName, name);
            assert.equal(service?.priority, priority ?? 1);
            assert.equal(service?.weight, weight ?? 1);
          },
        ),
      );
    });

    it("refuses what would not read back, naming every bad field at once", () => {
      assert.throws(
        () => serviceDeclarationEnv({ containerPort: 0, srvName: "_Calc._tcp", priority: 70000, weight: -1 }),
        (err: Error) => {
          assert.ok(err instanceof ServiceDeclarationError);
          assert.equal(
            err.message,
            [
              "Invalid service declaration:",
              " - [containerPort] 0 is not a container port: use an integer from 1 to 65535",
              ' - [srvName] "_Calc._tcp" is not of the form _<service>._<tcp|udp> (service: a-z, 0-9 and "-", at most 63 characters)',
              " - [priority] 70000 must be an integer from 0 to 65535",
              " - [weight] -1 must be an integer from 0 to 65535",
            ].join("\n"),
          );
          return true;
        },
      );
      for (const srvName of ["calc", "_calc._sctp", "_calc._tcp.zone", "_-calc._tcp", ""]) {
        assert.throws(
          () => serviceDeclarationEnv({ containerPort: 80, srvName }),
          ServiceDeclarationError,
          srvName,
        );
      }
      assert.throws(
        () => serviceDeclarationEnv({ containerPort: 80.5, srvName: "_a._tcp" }),
        /containerPort/,
      );
    });
  });
});

describe("problems from hostile declarations stay short", () => {
  it("bounds every problem's subject and message whatever the size of a label's key or value", () => {
    const big = "x".repeat(100_000);
    const { problems } = parseServiceDeclarations(
      [
        `SERVICE_8080_NAME=${big}`,
        `SERVICE_IGNORE=${big}`,
        `SERVICE_8081_NAME=_a._tcp`,
        `SERVICE_${big}_NAME=_b._tcp`,
      ],
      { SERVICE_8081_NAME: `_b${big}._tcp`, [`SERVICE_${big}_WEIGHT`]: "1" },
    );
    assert.ok(problems.length >= 4, JSON.stringify(problems.map((p) => p.code)));
    for (const p of problems) {
      assert.ok(
        p.message.length + p.subject.length < 2_000,
        `${p.code}: ${p.message.length + p.subject.length} characters`,
      );
    }
  });
});
