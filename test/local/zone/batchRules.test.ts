// Route53's rules for a ChangeResourceRecordSets batch, one row per documented rule: the API reference for
// ChangeResourceRecordSets and ResourceRecordSet, and the Developer Guide's quotas and routing policies.
import assert from "node:assert/strict";
import { type Change, planChangeBatch, type ZoneContents } from "../../../local/zone/batchRules";
import { Route53Error } from "../../../local/zone/route53Errors";
import { keyOf, type StoredRecordSet } from "../../../local/zone/route53Records";

const ZONE = "servicediscovery.internal.";
// Route53's quotas as the Developer Guide states them ("Quotas on records"), not as the code under test has them.
const MAX_RECORDS_PER_BATCH = 1000;
const MAX_CHARACTERS_PER_BATCH = 32000;
const MAX_SETS_PER_NAME_AND_TYPE = 100;
const SOA: StoredRecordSet = {
  name: ZONE,
  type: "SOA",
  ttl: 900,
  values: [`ns1.local-zone.invalid. hostmaster.${ZONE} 1 7200 900 1209600 5`],
};
const NS: StoredRecordSet = { name: ZONE, type: "NS", ttl: 172800, values: ["ns1.local-zone.invalid."] };

function zoneOf(sets: readonly StoredRecordSet[]): ZoneContents {
  const all = [SOA, NS, ...sets];
  return {
    name: ZONE,
    setAt: (key) => all.find((s) => keyOf(s) === key),
    group: (name, type) =>
      all
        .filter((s) => s.name === name && s.type === type)
        .map((s): [string, StoredRecordSet] => [keyOf(s), s]),
    typesAt: (name) => new Set(all.filter((s) => s.name === name).map((s) => s.type)),
    setCount: all.length,
  };
}

const a = (host: string, ...values: string[]): StoredRecordSet => ({
  name: `${host}.${ZONE}`,
  type: "A",
  ttl: 60,
  values: values.length > 0 ? values : ["10.0.0.1"],
});
const multivalue = (host: string, id: string, value = "10.0.0.1"): StoredRecordSet => ({
  ...a(host, value),
  setIdentifier: id,
  multiValueAnswer: true,
});
const weighted = (host: string, id: string, ttl = 60, values = ["10.0.0.1"]): StoredRecordSet => ({
  ...a(host, ...values),
  setIdentifier: id,
  weight: 1,
  ttl,
});
const cname = (host: string, ...values: string[]): StoredRecordSet => ({
  name: `${host}.${ZONE}`,
  type: "CNAME",
  ttl: 60,
  values: values.length > 0 ? values : [`target.${ZONE}`],
});
const srv = (target: string): StoredRecordSet => ({
  name: `_calc._tcp.${ZONE}`,
  type: "SRV",
  ttl: 10,
  setIdentifier: "one",
  multiValueAnswer: true,
  values: [`1 1 8080 ${target}`],
});
/** A TXT value of exactly `length` characters (quotes included). */
const txtValue = (length: number) => `"${"x".repeat(length - 2)}"`;
const txt = (host: string, values: string[]): StoredRecordSet => ({
  name: `${host}.${ZONE}`,
  type: "TXT",
  ttl: 60,
  values,
});
/** `n` distinct valid IPv4 addresses. */
const addresses = (n: number) => Array.from({ length: n }, (_, i) => `10.1.${i >> 8}.${i & 255}`);

const create = (set: StoredRecordSet): Change => ({ action: "CREATE", set });
const upsert = (set: StoredRecordSet): Change => ({ action: "UPSERT", set });
const del = (set: StoredRecordSet): Change => ({ action: "DELETE", set });

interface Row {
  rule: string;
  zone?: StoredRecordSet[];
  changes: Change[];
  /** The error code and every message (a RegExp where the text names a value's own problem); none: valid. */
  rejects?: { code: string; messages: (string | RegExp)[] };
  /** For a valid batch: what each touched key becomes (null: deleted). */
  staged?: [StoredRecordSet, StoredRecordSet | null][];
  /** The zone's record-set quota (GetHostedZoneLimit MAX_RRSETS_BY_ZONE), when the row checks it. */
  maxRecordSets?: number;
}

const rows: Row[] = [
  {
    rule: "a ChangeBatch holds at least one Change",
    changes: [],
    rejects: { code: "InvalidInput", messages: [] },
  },
  {
    rule: `at most ${MAX_RECORDS_PER_BATCH} values per request: at the limit passes`,
    changes: [create(a("many", ...addresses(MAX_RECORDS_PER_BATCH)))],
  },
  {
    rule: `at most ${MAX_RECORDS_PER_BATCH} values per request, an UPSERT counting twice`,
    changes: [upsert(a("many", ...addresses(MAX_RECORDS_PER_BATCH / 2 + 1)))],
    rejects: {
      code: "InvalidChangeBatch",
      messages: [`Number of records limit of ${MAX_RECORDS_PER_BATCH} exceeded.`],
    },
  },
  {
    rule: `at most ${MAX_CHARACTERS_PER_BATCH} value characters per request: at the limit passes`,
    changes: [
      create(
        txt(
          "long",
          Array.from({ length: MAX_CHARACTERS_PER_BATCH / 100 }, () => txtValue(100)),
        ),
      ),
    ],
  },
  {
    rule: `at most ${MAX_CHARACTERS_PER_BATCH} value characters per request, an UPSERT counting twice`,
    changes: [
      upsert(
        txt(
          "long",
          Array.from({ length: MAX_CHARACTERS_PER_BATCH / 200 + 1 }, () => txtValue(100)),
        ),
      ),
    ],
    rejects: {
      code: "InvalidChangeBatch",
      messages: [`Number of characters limit of ${MAX_CHARACTERS_PER_BATCH} exceeded.`],
    },
  },
  {
    rule: "a record set's name is in the zone",
    changes: [create({ ...a("x"), name: "x.example.com." })],
    rejects: {
      code: "InvalidChangeBatch",
      messages: [`RRSet with DNS name x.example.com. is not permitted in zone ${ZONE}`],
    },
  },
  {
    rule: "SOA only at the zone apex",
    changes: [create({ ...SOA, name: `sub.${ZONE}` })],
    rejects: {
      code: "InvalidChangeBatch",
      messages: [
        `RRSet of type SOA with DNS name sub.${ZONE} is not permitted: SOA is only allowed at the zone apex`,
      ],
    },
  },
  {
    rule: "the apex SOA and NS sets carry no SetIdentifier",
    changes: [upsert({ ...NS, setIdentifier: "x", multiValueAnswer: false })],
    rejects: {
      code: "InvalidChangeBatch",
      messages: [`RRSet of type NS at the zone apex ${ZONE} cannot have a SetIdentifier`],
    },
  },
  {
    rule: "no CNAME at the zone apex",
    changes: [create({ ...cname("x"), name: ZONE })],
    rejects: {
      code: "InvalidChangeBatch",
      messages: [`RRSet of type CNAME with DNS name ${ZONE} is not permitted at apex in zone ${ZONE}`],
    },
  },
  {
    rule: "every value written is valid for its type",
    changes: [create(a("bad", "999.0.0.1")), upsert(srv("not a name"))],
    rejects: { code: "InvalidChangeBatch", messages: [/ARRDATAIllegalIPv4Address/, /SRVRDATATooManyFields/] },
  },
  {
    rule: "a DELETE's values are not validated, only matched",
    zone: [srv("not a name")],
    changes: [del(srv("not a name"))],
    staged: [[srv("not a name"), null]],
  },
  {
    rule: "one value per weighted record set",
    changes: [create(weighted("w", "one", 60, ["10.0.0.1", "10.0.0.2"]))],
    rejects: {
      code: "InvalidChangeBatch",
      messages: [
        `Weighted resource record set [name='w.${ZONE}', type='A', set-identifier='one'] contains 2 values; only one ResourceRecord is allowed per weighted resource record set`,
      ],
    },
  },
  {
    rule: "one value per CNAME",
    changes: [create(cname("c", `t1.${ZONE}`, `t2.${ZONE}`))],
    rejects: {
      code: "InvalidChangeBatch",
      messages: [`RRSet of type CNAME with DNS name c.${ZONE} contains more than one value`],
    },
  },
  {
    rule: "no multivalue answer routing for CNAME or NS",
    changes: [create({ ...cname("c"), setIdentifier: "one", multiValueAnswer: true })],
    rejects: {
      code: "InvalidChangeBatch",
      messages: [
        `Multivalue answer routing is not permitted for CNAME record [name='c.${ZONE}', type='CNAME', set-identifier='one']`,
      ],
    },
  },
  {
    rule: "CREATE of a set that exists is refused",
    zone: [a("h")],
    changes: [create(a("h", "10.0.0.2"))],
    rejects: {
      code: "InvalidChangeBatch",
      messages: [`Tried to create resource record set [name='h.${ZONE}', type='A'] but it already exists`],
    },
  },
  {
    rule: "the same CREATE twice in one batch: the second meets the first",
    changes: [create(a("h")), create(a("h"))],
    rejects: {
      code: "InvalidChangeBatch",
      messages: [`Tried to create resource record set [name='h.${ZONE}', type='A'] but it already exists`],
    },
  },
  {
    rule: "UPSERT creates or replaces",
    zone: [a("h")],
    changes: [upsert(a("h", "10.0.0.2")), upsert(a("new"))],
    staged: [
      [a("h", "10.0.0.2"), a("h", "10.0.0.2")],
      [a("new"), a("new")],
    ],
  },
  {
    rule: "DELETE of a set that is not there is refused",
    changes: [del(a("gone"))],
    rejects: {
      code: "InvalidChangeBatch",
      messages: [`Tried to delete resource record set [name='gone.${ZONE}', type='A'] but it was not found`],
    },
  },
  {
    rule: "DELETE must match the current set exactly: values and TTL",
    zone: [a("h")],
    changes: [del(a("h", "10.0.0.2")), del({ ...a("h"), ttl: 61 })],
    rejects: {
      code: "InvalidChangeBatch",
      messages: [
        `Tried to delete resource record set [name='h.${ZONE}', type='A'] but the values provided do not match the current values`,
        `Tried to delete resource record set [name='h.${ZONE}', type='A'] but the values provided do not match the current values`,
      ],
    },
  },
  {
    rule: "DELETE takes domain names in values as fully qualified, with or without the trailing dot",
    zone: [srv(`host.${ZONE}`)],
    changes: [del(srv(`host.${ZONE.slice(0, -1)}`))],
    staged: [[srv(`host.${ZONE}`), null]],
  },
  {
    rule: "the apex SOA and NS sets cannot be deleted",
    changes: [del(SOA)],
    rejects: {
      code: "InvalidChangeBatch",
      messages: [
        `A HostedZone must contain exactly one SOA record and at least one NS record at its apex; cannot delete [name='${ZONE}', type='SOA']`,
      ],
    },
  },
  {
    rule: "changes apply in order: DELETE then CREATE of one set in one batch",
    zone: [a("h")],
    changes: [del(a("h")), create(a("h", "10.0.0.2"))],
    staged: [[a("h"), a("h", "10.0.0.2")]],
  },
  {
    rule: "a name and type does not mix a set without SetIdentifier with sets that have one",
    zone: [a("h")],
    changes: [create(multivalue("h", "one"))],
    rejects: {
      code: "InvalidChangeBatch",
      messages: [
        `RRSet with DNS name h.${ZONE}, type A cannot mix a record set without SetIdentifier and record sets with SetIdentifier`,
      ],
    },
  },
  {
    rule: "a name and type does not mix routing policies",
    zone: [weighted("h", "one")],
    changes: [create(multivalue("h", "two"))],
    rejects: {
      code: "InvalidChangeBatch",
      messages: [`RRSet with DNS name h.${ZONE}, type A cannot mix routing policies (multivalue, weighted)`],
    },
  },
  {
    rule: "the policy rules see the state the whole batch leads to: a simple set replaced by weighted ones",
    zone: [a("h")],
    changes: [del(a("h")), create(weighted("h", "one")), create(weighted("h", "two"))],
    staged: [
      [a("h"), null],
      [weighted("h", "one"), weighted("h", "one")],
      [weighted("h", "two"), weighted("h", "two")],
    ],
  },
  {
    rule: `at most ${MAX_SETS_PER_NAME_AND_TYPE} record sets per name and type`,
    zone: Array.from({ length: MAX_SETS_PER_NAME_AND_TYPE }, (_, i) => multivalue("h", `id${i}`)),
    changes: [create(multivalue("h", "one more"))],
    rejects: {
      code: "InvalidChangeBatch",
      messages: [
        `RRSet with DNS name h.${ZONE}, type A exceeds the limit of ${MAX_SETS_PER_NAME_AND_TYPE} record sets with the same name and type`,
      ],
    },
  },
  {
    rule: "a CNAME shares its name with no other type",
    zone: [a("h")],
    changes: [create(cname("h"))],
    rejects: {
      code: "InvalidChangeBatch",
      messages: [
        `RRSet of type CNAME with DNS name h.${ZONE} is not permitted because a conflicting RRSet of type A with the same DNS name already exists in zone ${ZONE}`,
      ],
    },
  },
  {
    rule: "weighted sets of one name and type take the TTL specified last",
    zone: [weighted("h", "one", 60)],
    changes: [create(weighted("h", "two", 30))],
    staged: [
      [weighted("h", "two", 30), weighted("h", "two", 30)],
      [weighted("h", "one", 60), weighted("h", "one", 30)],
    ],
  },
  {
    rule: "a batch may fill the zone up to its record-set quota, the apex SOA and NS counting",
    zone: [a("h1")],
    maxRecordSets: 5,
    changes: [create(a("h2")), upsert(a("h3"))],
  },
  {
    rule: "a batch that would take the zone above its record-set quota is refused",
    zone: [a("h1")],
    maxRecordSets: 5,
    changes: [create(a("h2")), upsert(a("h3")), create(a("h4"))],
    rejects: {
      code: "InvalidChangeBatch",
      messages: [
        `Exceeded limit on number of RRSets in this zone: the batch would leave 6 record sets in ${ZONE} and its limit (MAX_RRSETS_BY_ZONE) is 5`,
      ],
    },
  },
  {
    rule: "at the quota, replacing sets and UPSERTing existing ones adds nothing and passes",
    zone: [a("h1"), a("h2"), a("h3")],
    maxRecordSets: 5,
    changes: [del(a("h1")), create(a("h4")), upsert(a("h2", "10.0.0.2"))],
  },
  {
    rule: "a zone above a lowered quota can still shed sets",
    zone: [a("h1"), a("h2"), a("h3")],
    maxRecordSets: 3,
    changes: [del(a("h1"))],
  },
  {
    rule: "every problem of a batch is reported together",
    zone: [a("h")],
    changes: [create(a("h")), del(a("gone")), create(a("fine"))],
    rejects: {
      code: "InvalidChangeBatch",
      messages: [
        `Tried to create resource record set [name='h.${ZONE}', type='A'] but it already exists`,
        `Tried to delete resource record set [name='gone.${ZONE}', type='A'] but it was not found`,
      ],
    },
  },
];

describe("local zone batch rules (Route53's, one row per rule)", () => {
  for (const row of rows) {
    it(row.rule, () => {
      const zone = zoneOf(row.zone ?? []);
      if (row.rejects) {
        const expected = row.rejects;
        assert.throws(
          () => planChangeBatch(zone, row.changes, row.maxRecordSets),
          (err) => {
            assert.ok(err instanceof Route53Error);
            assert.equal(err.code, expected.code);
            const messages = err.messages ?? [];
            assert.equal(messages.length, expected.messages.length, JSON.stringify(messages));
            expected.messages.forEach((m, i) => {
              if (typeof m === "string") assert.equal(messages[i], m);
              else assert.match(messages[i] ?? "", m);
            });
            return true;
          },
        );
        return;
      }
      const plan = planChangeBatch(zone, row.changes, row.maxRecordSets);
      if (row.staged) {
        assert.deepEqual(
          [...plan.staged],
          row.staged.map(([k, v]) => [keyOf(k), v]),
        );
      }
      assert.deepEqual(plan.names, new Set(row.changes.map((c) => c.set.name)));
    });
  }
});
