// Route53's throttling and quotas in the local zone, one test per rule: the request buckets (account
// and per action, with the actions whose figures differ), the change-throughput bucket, refill over
// time, the record-set quota and GetHostedZoneLimit. Time is a clock the tests move, never a wait;
// what goes through the SDK uses rates so low that no token comes back while the test runs.
import assert from "node:assert/strict";
import {
  CreateHostedZoneCommand,
  GetHostedZoneCommand,
  GetHostedZoneLimitCommand,
  ListResourceRecordSetsCommand,
  type Route53Client,
} from "@aws-sdk/client-route-53";
import { type LocalZone, ROUTE53_LIMITS, startLocalZone } from "../../../local/zone";
import type { Change } from "../../../local/zone/batchRules";
import { FaultInjector, type FaultSettings, parseFaultSettings } from "../../../local/zone/faults";
import { changeTokens } from "../../../local/zone/route53Limits";
import type { StoredRecordSet } from "../../../local/zone/route53Records";
import { aSet, change, fqdn, rejection, route53For } from "./localZoneHarness";

// The throttling page's figures, as the page states them, not as the code under test has them.
const ACCOUNT = { burst: 50, rps: 10 };
const PER_ACTION = { burst: 50, rps: 10 };
const CREATE_HOSTED_ZONE = { burst: 40, rps: 2 };
const DELETE_HOSTED_ZONE = { burst: 40, rps: 5 };
/** A rate at which no token comes back while a test runs (one every 1,000 s). */
const FROZEN = 0.001;

/** A FaultInjector on a clock the test moves, in milliseconds. */
function injector(settings: FaultSettings) {
  let now = 1_000_000;
  const faults = new FaultInjector(
    settings,
    () => 0.99,
    () => now,
  );
  return {
    faults,
    advance: (ms: number) => {
      now += ms;
    },
    /** How many of `n` calls of `action` in a row are let through. */
    passes: async (action: string, n: number) => {
      let passed = 0;
      for (let i = 0; i < n; i++) if ((await faults.before(action)) === undefined) passed++;
      return passed;
    },
  };
}

async function throttled(faults: FaultInjector, action: string): Promise<boolean> {
  const err = await faults.before(action);
  if (err === undefined) return false;
  assert.deepEqual([err.code, err.message, err.status], ["Throttling", "Rate exceeded", 400]);
  return true;
}

const set = (n: number): StoredRecordSet => ({
  name: `h${n}.servicediscovery.internal.`,
  type: "A",
  ttl: 60,
  values: ["10.0.0.1"],
});

describe("local zone Route53 limits: request buckets", () => {
  it("the account bucket lets 50 requests of any actions through at once, then throttles every action", async () => {
    const { faults, passes } = injector({ accountBurst: ACCOUNT.burst, accountRps: ACCOUNT.rps });
    const actions = [
      "GetHostedZone",
      "ListResourceRecordSets",
      "ChangeResourceRecordSets",
      "GetChange",
      "GetHostedZoneCount",
    ];
    let passed = 0;
    for (const action of actions) passed += await passes(action, ACCOUNT.burst / actions.length);
    assert.equal(passed, ACCOUNT.burst);
    for (const action of [...actions, "ListHostedZones"]) assert.ok(await throttled(faults, action), action);
  });

  it("each action's bucket throttles that action alone", async () => {
    const { faults, passes } = injector({ actionBurst: PER_ACTION.burst, actionRps: PER_ACTION.rps });
    assert.equal(await passes("ListResourceRecordSets", PER_ACTION.burst + 10), PER_ACTION.burst);
    assert.ok(await throttled(faults, "ListResourceRecordSets"));
    assert.equal(
      await passes("GetHostedZone", PER_ACTION.burst),
      PER_ACTION.burst,
      "another action has its own bucket",
    );
  });

  it("a request takes a token from both buckets and is throttled when either is empty", async () => {
    const { faults, passes } = injector(ROUTE53_LIMITS);
    assert.equal(await passes("ListResourceRecordSets", 30), 30);
    assert.equal(await passes("GetHostedZone", 20), 20);
    // GetChange's own bucket is full, but the account's is empty.
    assert.ok(await throttled(faults, "GetChange"));
  });

  it("a request one bucket refuses takes nothing from the other", async () => {
    const { faults, passes } = injector({
      accountBurst: 10,
      accountRps: FROZEN,
      actionBurst: 5,
      actionRps: FROZEN,
    });
    assert.equal(await passes("GetHostedZone", 8), 5, "GetHostedZone's own bucket holds 5");
    assert.ok(await throttled(faults, "GetHostedZone"));
    assert.equal(
      await passes("GetChange", 5),
      5,
      "the account kept the 5 tokens the refused calls did not take",
    );
    assert.ok(await throttled(faults, "GetHostedZoneCount"));
  });

  it("CreateHostedZone (40, 2/s) and DeleteHostedZone (40, 5/s) have the page's own figures", async () => {
    const { passes, advance } = injector({
      ...ROUTE53_LIMITS,
      // The account bucket out of the way, to see the per-action figures alone.
      accountBurst: 1000,
      accountRps: 1000,
    });
    assert.equal(await passes("CreateHostedZone", 50), CREATE_HOSTED_ZONE.burst);
    assert.equal(await passes("DeleteHostedZone", 50), DELETE_HOSTED_ZONE.burst);
    assert.equal(await passes("GetHostedZone", 60), PER_ACTION.burst, "an action not listed has the default");
    advance(1000);
    assert.equal(await passes("CreateHostedZone", 10), CREATE_HOSTED_ZONE.rps);
    assert.equal(await passes("DeleteHostedZone", 10), DELETE_HOSTED_ZONE.rps);
    assert.equal(await passes("GetHostedZone", 20), PER_ACTION.rps);
  });

  it("actionLimits gives any action its own figures", async () => {
    const { faults, passes } = injector({ actionLimits: { GetChange: { burst: 2, rps: FROZEN } } });
    assert.equal(await passes("GetChange", 5), 2);
    assert.ok(await throttled(faults, "GetChange"));
    assert.equal(await passes("GetHostedZone", 100), 100, "actions not listed are not limited per action");
  });
});

describe("local zone Route53 limits: refill over time", () => {
  it("refills at the bucket's rate, a token at a time, up to its capacity and never beyond", async () => {
    const { faults, passes, advance } = injector({ accountBurst: ACCOUNT.burst, accountRps: ACCOUNT.rps });
    assert.equal(await passes("GetHostedZone", 60), ACCOUNT.burst);
    advance(99);
    assert.ok(await throttled(faults, "GetHostedZone"), "a token takes 100 ms at 10/s");
    advance(1);
    assert.equal(await passes("GetHostedZone", 2), 1);
    advance(450);
    assert.equal(
      await passes("GetHostedZone", 10),
      4,
      "tokens are usable as they come, no need to wait for a full bucket",
    );
    advance(3_600_000);
    assert.equal(
      await passes("GetHostedZone", 60),
      ACCOUNT.burst,
      "refill that finds the bucket full is discarded",
    );
  });

  it("keeps throttleRps as the older single bucket, burst one second's worth, beside Route53's buckets", async () => {
    const { passes, advance } = injector({ throttleRps: 5 });
    assert.equal(await passes("GetHostedZone", 8), 5);
    advance(200);
    assert.equal(await passes("GetHostedZone", 3), 1);

    const both = injector({ throttleRps: 100, accountBurst: 3, accountRps: FROZEN });
    assert.equal(await both.passes("GetHostedZone", 10), 3, "a request passes every bucket that is on");
    assert.ok(await throttled(both.faults, "GetHostedZone"));
    const slow = injector({ throttleRps: 0.5 });
    assert.equal(
      await slow.passes("GetHostedZone", 3),
      1,
      "below one per second, the burst is still one request",
    );
  });
});

describe("local zone Route53 limits: change throughput", () => {
  it("counts a change per Change element, an UPSERT as two (a DELETE and a CREATE)", () => {
    const changes: Change[] = [
      { action: "CREATE", set: set(1) },
      { action: "UPSERT", set: { ...set(2), values: ["10.0.0.1", "10.0.0.2", "10.0.0.3"] } },
      { action: "DELETE", set: set(3) },
    ];
    assert.equal(changeTokens(changes), 4);
    assert.equal(changeTokens([{ action: "UPSERT" }]), 2);
  });

  it("the change bucket refills at its own rate, whatever the request buckets do", () => {
    const { faults, advance } = injector({ ...ROUTE53_LIMITS, changeBurst: 1000, changesPerSecond: 100 });
    assert.equal(faults.changeThrottle(1000), undefined);
    faults.spendChanges(1000);
    const err = faults.changeThrottle(1);
    assert.deepEqual([err?.code, err?.message, err?.status], ["Throttling", "Rate exceeded", 400]);
    advance(500);
    assert.equal(faults.changeThrottle(50), undefined);
    assert.ok(faults.changeThrottle(51), "50 changes came back in half a second at 100/s");
  });

  describe("through the SDK", () => {
    let zone: LocalZone | undefined;
    let client: Route53Client | undefined;
    afterEach(async () => {
      client?.destroy();
      await zone?.close();
      zone = undefined;
    });

    it("throttles a batch whose changes the bucket no longer holds, counting UPSERTs twice; a refused batch costs none", async () => {
      zone = await startLocalZone({ faults: { changeBurst: 5, changesPerSecond: FROZEN } });
      client = route53For(zone);
      // Two UPSERTs are four changes: one token is left.
      await change(client, zone, [
        { Action: "UPSERT", ResourceRecordSet: aSet(fqdn(zone, "a"), "10.0.0.1") },
        { Action: "UPSERT", ResourceRecordSet: aSet(fqdn(zone, "b"), "10.0.0.2") },
      ]);
      const invalid = await rejection(
        change(client, zone, [
          { Action: "DELETE", ResourceRecordSet: aSet(fqdn(zone, "nothing"), "10.0.0.9") },
        ]),
      );
      assert.equal(invalid.name, "InvalidChangeBatch");
      const err = await rejection(
        change(client, zone, [
          { Action: "CREATE", ResourceRecordSet: aSet(fqdn(zone, "c"), "10.0.0.3") },
          { Action: "CREATE", ResourceRecordSet: aSet(fqdn(zone, "d"), "10.0.0.4") },
        ]),
      );
      assert.deepEqual(
        [err.name, err.message, err.$metadata?.httpStatusCode],
        ["Throttling", "Rate exceeded", 400],
      );
      // The last token, which the refused DELETE did not take.
      await change(client, zone, [
        { Action: "CREATE", ResourceRecordSet: aSet(fqdn(zone, "c"), "10.0.0.3") },
      ]);
      const sets = await client.send(new ListResourceRecordSetsCommand({ HostedZoneId: zone.hostedZoneId }));
      assert.deepEqual(
        sets.ResourceRecordSets?.filter((s) => s.Type === "A").map((s) => s.Name),
        [fqdn(zone, "a"), fqdn(zone, "b"), fqdn(zone, "c")],
      );
    });

    it("answers a request the account bucket refuses with Throttling, Rate exceeded, HTTP 400", async () => {
      zone = await startLocalZone({ faults: { accountBurst: 2, accountRps: FROZEN } });
      client = route53For(zone);
      const c = client;
      const z = zone;
      await c.send(new GetHostedZoneCommand({ Id: z.hostedZoneId }));
      await c.send(new ListResourceRecordSetsCommand({ HostedZoneId: z.hostedZoneId }));
      const err = await rejection(
        c.send(new GetHostedZoneLimitCommand({ HostedZoneId: z.hostedZoneId, Type: "MAX_RRSETS_BY_ZONE" })),
      );
      assert.deepEqual(
        [err.name, err.message, err.$metadata?.httpStatusCode],
        ["Throttling", "Rate exceeded", 400],
      );
      assert.equal(z.stats().GetHostedZoneLimit, 1, "a throttled call is counted like any other");
    });
  });
});

describe("local zone Route53 limits: record-set quota and GetHostedZoneLimit (through the SDK)", () => {
  let zone: LocalZone | undefined;
  let client: Route53Client | undefined;
  afterEach(async () => {
    client?.destroy();
    await zone?.close();
    zone = undefined;
  });

  const limit = (
    c: Route53Client,
    z: LocalZone,
    Type: "MAX_RRSETS_BY_ZONE" | "MAX_VPCS_ASSOCIATED_BY_ZONE",
  ) => c.send(new GetHostedZoneLimitCommand({ HostedZoneId: z.hostedZoneId, Type }));

  it("refuses a batch that would take the zone above its quota with InvalidChangeBatch, and changes nothing", async () => {
    // The apex SOA and NS count, as in ResourceRecordSetCount: room for three more.
    zone = await startLocalZone({ faults: { maxRecordSetsPerZone: 5 } });
    client = route53For(zone);
    await change(
      client,
      zone,
      [1, 2].map((n) => ({ Action: "CREATE", ResourceRecordSet: aSet(fqdn(zone!, `h${n}`), "10.0.0.1") })),
    );
    const err = await rejection(
      change(
        client,
        zone,
        [3, 4].map((n) => ({ Action: "CREATE", ResourceRecordSet: aSet(fqdn(zone!, `h${n}`), "10.0.0.1") })),
      ),
    );
    assert.equal(err.name, "InvalidChangeBatch");
    assert.equal(err.$metadata?.httpStatusCode, 400);
    assert.deepEqual(err.messages, [
      `Exceeded limit on number of RRSets in this zone: the batch would leave 6 record sets in ${zone.zoneName}. and its limit (MAX_RRSETS_BY_ZONE) is 5`,
    ]);
    assert.deepEqual((await limit(client, zone, "MAX_RRSETS_BY_ZONE")).Count, 4, "nothing was applied");
    // Up to the quota passes; so do replacing a set and UPSERTing one that exists, at the quota.
    await change(client, zone, [{ Action: "CREATE", ResourceRecordSet: aSet(fqdn(zone, "h3"), "10.0.0.1") }]);
    await change(client, zone, [
      { Action: "DELETE", ResourceRecordSet: aSet(fqdn(zone, "h3"), "10.0.0.1") },
      { Action: "CREATE", ResourceRecordSet: aSet(fqdn(zone, "h4"), "10.0.0.1") },
      { Action: "UPSERT", ResourceRecordSet: aSet(fqdn(zone, "h1"), "10.0.0.2") },
    ]);
    const upsertNew = await rejection(
      change(client, zone, [{ Action: "UPSERT", ResourceRecordSet: aSet(fqdn(zone, "h5"), "10.0.0.1") }]),
    );
    assert.equal(
      upsertNew.name,
      "InvalidChangeBatch",
      "an UPSERT that creates a set counts against the quota",
    );
  });

  it("reports the record-set limit and the sets in use with GetHostedZoneLimit MAX_RRSETS_BY_ZONE", async () => {
    zone = await startLocalZone();
    client = route53For(zone);
    const fresh = await limit(client, zone, "MAX_RRSETS_BY_ZONE");
    assert.deepEqual([fresh.Limit, fresh.Count], [{ Type: "MAX_RRSETS_BY_ZONE", Value: 10_000 }, 2]);
    await change(client, zone, [{ Action: "CREATE", ResourceRecordSet: aSet(fqdn(zone, "h"), "10.0.0.1") }]);
    zone.setFaults({ maxRecordSetsPerZone: 12_000 });
    const raised = await limit(client, zone, "MAX_RRSETS_BY_ZONE");
    assert.deepEqual([raised.Limit, raised.Count], [{ Type: "MAX_RRSETS_BY_ZONE", Value: 12_000 }, 3]);
  });

  it("reports MAX_VPCS_ASSOCIATED_BY_ZONE for a private zone, HostedZoneNotPrivate for a public one, InvalidInput for another type", async () => {
    zone = await startLocalZone();
    client = route53For(zone);
    const vpcs = await limit(client, zone, "MAX_VPCS_ASSOCIATED_BY_ZONE");
    assert.deepEqual([vpcs.Limit, vpcs.Count], [{ Type: "MAX_VPCS_ASSOCIATED_BY_ZONE", Value: 300 }, 1]);
    const created = await client.send(
      new CreateHostedZoneCommand({ Name: "public.example", CallerReference: "public-1" }),
    );
    const publicZone = await rejection(
      client.send(
        new GetHostedZoneLimitCommand({
          HostedZoneId: created.HostedZone!.Id!,
          Type: "MAX_VPCS_ASSOCIATED_BY_ZONE",
        }),
      ),
    );
    assert.equal(publicZone.name, "HostedZoneNotPrivate");
    const badType = await rejection(
      client.send(
        new GetHostedZoneLimitCommand({ HostedZoneId: zone.hostedZoneId, Type: "MAX_EVERYTHING" as never }),
      ),
    );
    assert.equal(badType.name, "InvalidInput");
    const noZone = await rejection(
      client.send(new GetHostedZoneLimitCommand({ HostedZoneId: "ZNOSUCHZONE", Type: "MAX_RRSETS_BY_ZONE" })),
    );
    assert.equal(noZone.name, "NoSuchHostedZone");
  });
});

describe("local zone Route53 limits: settings", () => {
  it("accepts ROUTE53_LIMITS, today's figures, as they are", () => {
    assert.deepEqual(parseFaultSettings(ROUTE53_LIMITS), ROUTE53_LIMITS);
    assert.deepEqual(
      [
        ROUTE53_LIMITS.accountBurst,
        ROUTE53_LIMITS.accountRps,
        ROUTE53_LIMITS.actionBurst,
        ROUTE53_LIMITS.actionRps,
      ],
      [ACCOUNT.burst, ACCOUNT.rps, PER_ACTION.burst, PER_ACTION.rps],
    );
    assert.deepEqual(ROUTE53_LIMITS.actionLimits, {
      CreateHostedZone: CREATE_HOSTED_ZONE,
      DeleteHostedZone: DELETE_HOSTED_ZONE,
    });
    assert.deepEqual([ROUTE53_LIMITS.maxRecordSetsPerZone, ROUTE53_LIMITS.maxVpcsPerZone], [10_000, 300]);
  });

  const cases: Array<[string, unknown, RegExp[]]> = [
    ["a rate without its burst", { accountRps: 10 }, [/"accountRps" needs "accountBurst"/]],
    ["a burst without its rate", { changeBurst: 10 }, [/"changeBurst" needs "changesPerSecond"/]],
    [
      "a burst below one token",
      { actionBurst: 0.5, actionRps: 1 },
      [/"actionBurst" must be a number of tokens from 1/],
    ],
    [
      "a quota that is not a whole number",
      { maxRecordSetsPerZone: 10.5 },
      [/"maxRecordSetsPerZone" must be a whole number/],
    ],
    ["a zero quota", { maxVpcsPerZone: 0 }, [/"maxVpcsPerZone" must be a whole number from 1/]],
    ["actionLimits that is not an object", { actionLimits: [1] }, [/"actionLimits" must be an object/]],
    [
      "an action limit without a rate",
      { actionLimits: { GetChange: { burst: 5 } } },
      [/"actionLimits.GetChange.rps" must be a rate per second above 0/],
    ],
    [
      "an action limit with an unknown field",
      { actionLimits: { GetChange: { burst: 5, rps: 1, refill: 2 } } },
      [/"actionLimits.GetChange" has unknown fields: refill/],
    ],
    [
      "an action that is not an action name",
      { actionLimits: { "get change": { burst: 5, rps: 1 } } },
      [/"get change", which is not an API action name/],
    ],
    [
      "every problem at once",
      { accountRps: -1, changesPerSecond: 1, nonsense: 1 },
      [
        /"accountRps" must be a rate per second/,
        /unknown fault setting "nonsense"/,
        /"changesPerSecond" needs "changeBurst"/,
      ],
    ],
  ];
  for (const [what, input, expected] of cases) {
    it(`rejects ${what}, naming the field`, () => {
      assert.throws(
        () => parseFaultSettings(input),
        (err: Error) => {
          for (const e of expected) assert.match(err.message, e);
          return true;
        },
      );
    });
  }

  it("takes and shows the limits through /_admin/faults, and refuses bad ones with 400", async () => {
    const zone = await startLocalZone();
    try {
      const post = (body: unknown) =>
        fetch(`${zone.apiUrl}/_admin/faults`, {
          method: "POST",
          headers: { authorization: `Bearer ${zone.adminToken}`, "content-type": "application/json" },
          body: JSON.stringify(body),
        });
      const ok = await post({ ...ROUTE53_LIMITS, latencyMs: 1 });
      assert.equal(ok.status, 200);
      assert.deepEqual(await ok.json(), { ...ROUTE53_LIMITS, latencyMs: 1 });
      const bad = await post({ accountRps: 10 });
      assert.equal(bad.status, 400);
      assert.match(((await bad.json()) as { error: string }).error, /accountBurst/);
    } finally {
      await zone.close();
    }
  });
});
