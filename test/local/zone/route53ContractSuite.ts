// The Route53 contract: one suite, written once, run against every back end (moto's server, which we did
// not write, and our local zone). Same requests, same outcomes. Where moto 5.2 departs from AWS's
// documentation the case is registered only for back ends that follow the documentation
// (`followsAwsDocs`), with the documented behaviour cited next to it; those cases are never loosened.
import assert from "node:assert/strict";
import {
  type Change,
  ChangeResourceRecordSetsCommand,
  type ChangeResourceRecordSetsCommandOutput,
  CreateHostedZoneCommand,
  GetChangeCommand,
  type GetChangeCommandOutput,
  GetHostedZoneCommand,
  ListHostedZonesByNameCommand,
  type ListHostedZonesByNameCommandOutput,
  ListResourceRecordSetsCommand,
  type ListResourceRecordSetsCommandInput,
  type ResourceRecordSet,
  type Route53Client,
} from "@aws-sdk/client-route-53";
import { dig } from "../../kit/dig";

/** A Route53 API to hold to the contract, with one private hosted zone already created. */
export interface Route53Backend {
  readonly client: Route53Client;
  /** The zone's id without the `/hostedzone/` prefix. */
  readonly hostedZoneId: string;
  /** The zone's name without the trailing dot, e.g. `servicediscovery.internal`. */
  readonly zoneName: string;
  /** Things only the local zone has; cases that use them run only where they exist. */
  readonly dns?: { readonly host: string; readonly port: number };
  close(): Promise<void>;
}

/** How the suite is run against one back end. */
export interface ContractTarget {
  readonly name: string;
  /**
   * False for moto: cases where moto is known to depart from AWS's documentation are then not
   * registered for it (they are proved on the back ends that do follow the documentation).
   */
  readonly followsAwsDocs: boolean;
  /** True when the back end also answers DNS for the zone (the local zone; moto has no DNS server). */
  readonly servesDns: boolean;
  start(): Promise<Route53Backend>;
}

/** Upper bound on pages any listing loop follows, so a broken paginator fails instead of spinning. */
const MAX_PAGES = 200;

/**
 * Register the Route53 contract suite for one back end.
 *
 * @example
 * route53ContractSuite({ name: "moto", followsAwsDocs: false, start: startMotoBackend });
 */
export function route53ContractSuite(target: ContractTarget): void {
  describe(`Route53 contract: ${target.name}`, function () {
    this.timeout(60_000);
    let be: Route53Backend;
    // Cases where moto 5.2 departs from AWS's documentation; see the comment on each.
    const itWhereDocumented = target.followsAwsDocs ? it : undefined;

    before(async () => {
      be = await target.start();
    });
    after(async () => {
      await be?.close();
    });

    const fq = (label: string) => `${label}.${be.zoneName}.`;
    const change = (changes: Change[]): Promise<ChangeResourceRecordSetsCommandOutput> =>
      be.client.send(
        new ChangeResourceRecordSetsCommand({
          HostedZoneId: be.hostedZoneId,
          ChangeBatch: { Changes: changes },
        }),
      );
    /** Every record set with exactly this name and type (one page; tests keep each name small). */
    const setsAt = async (name: string, type: string): Promise<Normalized[]> => {
      const out = await be.client.send(
        new ListResourceRecordSetsCommand({
          HostedZoneId: be.hostedZoneId,
          StartRecordName: name,
          StartRecordType: type as ListResourceRecordSetsCommandInput["StartRecordType"],
          MaxItems: 300,
        }),
      );
      return (out.ResourceRecordSets ?? [])
        .filter((rs) => rs.Name === name && rs.Type === type)
        .map(normalize)
        .sort((a, b) => (a.SetIdentifier ?? "").localeCompare(b.SetIdentifier ?? ""));
    };
    /**
     * Follow ListResourceRecordSets pages from `start` while record names stay under `subtree`
     * (a fully qualified name), exactly as a client would: Next* values go into Start*.
     */
    const listSubtree = async (subtree: string, maxItems: number): Promise<ListedPage[]> => {
      const pages: ListedPage[] = [];
      let input: ListResourceRecordSetsCommandInput = {
        HostedZoneId: be.hostedZoneId,
        StartRecordName: subtree,
        MaxItems: maxItems,
      };
      for (let i = 0; i < MAX_PAGES; i++) {
        const out = await be.client.send(new ListResourceRecordSetsCommand(input));
        const sets = out.ResourceRecordSets ?? [];
        pages.push({ sets, isTruncated: out.IsTruncated === true, next: out.NextRecordName });
        const left = sets.some((rs) => !isUnder(rs.Name ?? "", subtree));
        if (!out.IsTruncated || left) return pages;
        assert.ok(out.NextRecordName, "a truncated page must carry NextRecordName");
        assert.ok(out.NextRecordType, "a truncated page must carry NextRecordType");
        input = {
          HostedZoneId: be.hostedZoneId,
          StartRecordName: out.NextRecordName,
          StartRecordType: out.NextRecordType,
          StartRecordIdentifier: out.NextRecordIdentifier,
          MaxItems: maxItems,
        };
      }
      assert.fail(`ListResourceRecordSets under ${subtree} did not end within ${MAX_PAGES} pages`);
    };
    const inSubtree = (pages: ListedPage[], subtree: string) =>
      pages.flatMap((p) => p.sets).filter((rs) => isUnder(rs.Name ?? "", subtree));

    describe("hosted zones", () => {
      it("GetHostedZone describes the private zone with its id and fully qualified name", async () => {
        const out = await be.client.send(new GetHostedZoneCommand({ Id: be.hostedZoneId }));
        assert.equal(out.HostedZone?.Id, `/hostedzone/${be.hostedZoneId}`);
        assert.equal(out.HostedZone?.Name, `${be.zoneName}.`);
        assert.equal(out.HostedZone?.Config?.PrivateZone, true);
        assert.equal(typeof out.HostedZone?.ResourceRecordSetCount, "number");
      });

      it("GetHostedZone of an unknown id fails with NoSuchHostedZone", async () => {
        await expectAwsError(
          be.client.send(new GetHostedZoneCommand({ Id: "ZNOSUCHZONE000000000" })),
          "NoSuchHostedZone",
          404,
        );
      });

      it("a new zone has its NS and SOA record sets at the apex, NS first", async () => {
        const out = await be.client.send(
          new ListResourceRecordSetsCommand({ HostedZoneId: be.hostedZoneId, MaxItems: 2 }),
        );
        const apex = (out.ResourceRecordSets ?? []).map((rs) => [rs.Name, rs.Type]);
        assert.deepEqual(apex, [
          [`${be.zoneName}.`, "NS"],
          [`${be.zoneName}.`, "SOA"],
        ]);
      });

      // moto 5.2 stores its SOA value as the text of a Python dict ("{'Value': 'ns-2048...'}"). AWS
      // answers an SOA set whose one value is "mname rname serial refresh retry expire minimum".
      itWhereDocumented?.("the apex SOA set holds one well-formed SOA value", async () => {
        const [soa] = await setsAt(`${be.zoneName}.`, "SOA");
        assert.ok(soa, "the zone has an SOA set");
        assert.equal(soa.values.length, 1);
        assert.match(soa.values[0]!, /^\S+\.? \S+\.? \d+ \d+ \d+ \d+ \d+$/);
      });

      it("ListHostedZonesByName with the zone's name lists that zone first", async () => {
        const out = await be.client.send(new ListHostedZonesByNameCommand({ DNSName: be.zoneName }));
        const first = out.HostedZones?.[0];
        assert.equal(first?.Id, `/hostedzone/${be.hostedZoneId}`);
        assert.equal(first?.Name, `${be.zoneName}.`);
        assert.equal(first?.Config?.PrivateZone, true);
      });

      it("CreateHostedZone makes a zone that GetHostedZone and ListHostedZonesByName then find", async () => {
        const name = "contract-made.internal";
        const made = await be.client.send(
          new CreateHostedZoneCommand({
            Name: name,
            CallerReference: `contract-${Date.now()}`,
            HostedZoneConfig: { PrivateZone: true, Comment: "made by the contract suite" },
            VPC: { VPCRegion: "us-east-1", VPCId: "vpc-0c0ffee0c0ffee000" },
          }),
        );
        assert.equal(made.HostedZone?.Name, `${name}.`);
        assert.match(made.HostedZone?.Id ?? "", /^\/hostedzone\/[A-Z0-9]+$/);
        assert.ok(made.ChangeInfo?.Id, "CreateHostedZone returns ChangeInfo");
        const got = await be.client.send(new GetHostedZoneCommand({ Id: made.HostedZone!.Id! }));
        assert.equal(got.HostedZone?.Name, `${name}.`);
        assert.equal(got.HostedZone?.Config?.PrivateZone, true);
        const listed = await be.client.send(new ListHostedZonesByNameCommand({ DNSName: name }));
        assert.equal(listed.HostedZones?.[0]?.Id, made.HostedZone?.Id);
        const all = await be.client.send(new ListHostedZonesByNameCommand({}));
        const names = (all.HostedZones ?? []).map((z) => z.Name);
        assert.ok(names.includes(`${name}.`) && names.includes(`${be.zoneName}.`), names.join(", "));
      });

      // moto 5.2 answers ListHostedZonesByName with only the zone named exactly DNSName and ignores
      // MaxItems. AWS: "Retrieves a list of your hosted zones in lexicographic order ... sorts hosted
      // zones by name with the labels reversed", starting at DNSName, at most MaxItems per response,
      // with NextDNSName/NextHostedZoneId when IsTruncated.
      itWhereDocumented?.(
        "ListHostedZonesByName starts at DNSName, in reversed-label order, and pages by MaxItems",
        async () => {
          const names = ["b-page.contract", "a-page.contract", "c-page.contract"];
          for (const name of names) {
            await be.client.send(
              new CreateHostedZoneCommand({
                Name: name,
                CallerReference: `contract-${name}-${Date.now()}`,
                HostedZoneConfig: { PrivateZone: true },
                VPC: { VPCRegion: "us-east-1", VPCId: "vpc-0c0ffee0c0ffee000" },
              }),
            );
          }
          const seen: string[] = [];
          let dnsName: string | undefined = "a-page.contract";
          let hostedZoneId: string | undefined;
          for (let i = 0; i < MAX_PAGES && dnsName; i++) {
            const out: ListHostedZonesByNameCommandOutput = await be.client.send(
              new ListHostedZonesByNameCommand({ DNSName: dnsName, HostedZoneId: hostedZoneId, MaxItems: 1 }),
            );
            assert.ok((out.HostedZones ?? []).length <= 1, "at most MaxItems zones per page");
            seen.push(...(out.HostedZones ?? []).map((z) => z.Name ?? ""));
            if (!out.IsTruncated) break;
            dnsName = out.NextDNSName;
            hostedZoneId = out.NextHostedZoneId;
          }
          // Reversed-label order: "contract.a-page." < "contract.b-page." < "contract.c-page." < "internal..."
          const fromA = seen.filter((n) => n.endsWith("-page.contract."));
          assert.deepEqual(fromA, ["a-page.contract.", "b-page.contract.", "c-page.contract."]);
          assert.deepEqual(
            seen,
            [...seen].sort((a, b) => compareAwsOrder(a, "", b, "")),
          );
          assert.ok(seen.includes(`${be.zoneName}.`), "zones after DNSName are listed too");
        },
      );
    });

    describe("ChangeResourceRecordSets", () => {
      it("CREATE, UPSERT and DELETE of a plain A set are what ListResourceRecordSets then shows", async () => {
        const name = fq("plain-a");
        await change([{ Action: "CREATE", ResourceRecordSet: aSet(name, 60, ["10.0.0.1", "10.0.0.2"]) }]);
        assert.deepEqual(await setsAt(name, "A"), [
          { Name: name, Type: "A", TTL: 60, values: ["10.0.0.1", "10.0.0.2"] },
        ]);
        await change([{ Action: "UPSERT", ResourceRecordSet: aSet(name, 30, ["10.0.0.3"]) }]);
        assert.deepEqual(await setsAt(name, "A"), [{ Name: name, Type: "A", TTL: 30, values: ["10.0.0.3"] }]);
        await change([{ Action: "DELETE", ResourceRecordSet: aSet(name, 30, ["10.0.0.3"]) }]);
        assert.deepEqual(await setsAt(name, "A"), []);
      });

      it("UPSERT of a set that does not exist creates it", async () => {
        const name = fq("upsert-new");
        await change([{ Action: "UPSERT", ResourceRecordSet: aSet(name, 60, ["10.1.0.1"]) }]);
        assert.deepEqual(await setsAt(name, "A"), [{ Name: name, Type: "A", TTL: 60, values: ["10.1.0.1"] }]);
      });

      it("a name without its trailing dot names the same set", async () => {
        const name = fq("no-dot");
        await change([{ Action: "CREATE", ResourceRecordSet: aSet(name.slice(0, -1), 60, ["10.1.1.1"]) }]);
        assert.deepEqual(await setsAt(name, "A"), [{ Name: name, Type: "A", TTL: 60, values: ["10.1.1.1"] }]);
        await change([{ Action: "DELETE", ResourceRecordSet: aSet(name, 60, ["10.1.1.1"]) }]);
        assert.deepEqual(await setsAt(name, "A"), []);
      });

      // AWS's own example of a transactional batch: delete a record set and create its replacement.
      it("a batch may DELETE a set and CREATE its replacement: changes apply in order", async () => {
        const name = fq("replace");
        await change([{ Action: "CREATE", ResourceRecordSet: aSet(name, 60, ["10.1.2.1"]) }]);
        await change([
          { Action: "DELETE", ResourceRecordSet: aSet(name, 60, ["10.1.2.1"]) },
          { Action: "CREATE", ResourceRecordSet: aSet(name, 30, ["10.1.2.2"]) },
        ]);
        assert.deepEqual(await setsAt(name, "A"), [{ Name: name, Type: "A", TTL: 30, values: ["10.1.2.2"] }]);
      });

      it("GetHostedZone's ResourceRecordSetCount follows creates and deletes", async () => {
        const count = async () =>
          (await be.client.send(new GetHostedZoneCommand({ Id: be.hostedZoneId }))).HostedZone
            ?.ResourceRecordSetCount;
        const before = await count();
        assert.equal(typeof before, "number");
        const sets = [aSet(fq("count-1"), 60, ["10.1.3.1"]), aSet(fq("count-2"), 60, ["10.1.3.2"])];
        await change(sets.map((ResourceRecordSet) => ({ Action: "CREATE", ResourceRecordSet })));
        assert.equal(await count(), before! + 2);
        await change([{ Action: "DELETE", ResourceRecordSet: sets[0]! }]);
        assert.equal(await count(), before! + 1);
      });

      it("multivalue SRV sets are told apart by SetIdentifier: each is created, replaced and deleted alone", async () => {
        const name = fq("_calc._tcp.mv");
        await change(
          ["i-1", "i-2", "i-3"].map((id, n) => ({
            Action: "CREATE",
            ResourceRecordSet: srvSet(name, id, [`1 1 ${8080 + n} ${id}.${be.zoneName}`], {
              multivalue: true,
            }),
          })),
        );
        assert.deepEqual(await setsAt(name, "SRV"), [
          srvExpect(name, "i-1", [`1 1 8080 i-1.${be.zoneName}`], { multivalue: true }),
          srvExpect(name, "i-2", [`1 1 8081 i-2.${be.zoneName}`], { multivalue: true }),
          srvExpect(name, "i-3", [`1 1 8082 i-3.${be.zoneName}`], { multivalue: true }),
        ]);
        await change([
          {
            Action: "UPSERT",
            ResourceRecordSet: srvSet(name, "i-2", [`2 5 9000 i-2.${be.zoneName}`], { multivalue: true }),
          },
        ]);
        await change([
          {
            Action: "DELETE",
            ResourceRecordSet: srvSet(name, "i-3", [`1 1 8082 i-3.${be.zoneName}`], { multivalue: true }),
          },
        ]);
        assert.deepEqual(await setsAt(name, "SRV"), [
          srvExpect(name, "i-1", [`1 1 8080 i-1.${be.zoneName}`], { multivalue: true }),
          srvExpect(name, "i-2", [`2 5 9000 i-2.${be.zoneName}`], { multivalue: true }),
        ]);
      });

      it("weighted SRV sets keep their Weight, and UPSERT changes one set's weight only", async () => {
        const name = fq("_time._tcp.w");
        await change([
          {
            Action: "CREATE",
            ResourceRecordSet: srvSet(name, "w-1", [`1 1 81 w-1.${be.zoneName}`], { weight: 10 }),
          },
          {
            Action: "CREATE",
            ResourceRecordSet: srvSet(name, "w-2", [`1 1 82 w-2.${be.zoneName}`], { weight: 20 }),
          },
        ]);
        await change([
          {
            Action: "UPSERT",
            ResourceRecordSet: srvSet(name, "w-2", [`1 1 82 w-2.${be.zoneName}`], { weight: 0 }),
          },
        ]);
        assert.deepEqual(await setsAt(name, "SRV"), [
          srvExpect(name, "w-1", [`1 1 81 w-1.${be.zoneName}`], { weight: 10 }),
          srvExpect(name, "w-2", [`1 1 82 w-2.${be.zoneName}`], { weight: 0 }),
        ]);
      });

      it("ChangeInfo comes back with an id that GetChange knows, PENDING or INSYNC, then INSYNC", async () => {
        const out = await change([
          { Action: "CREATE", ResourceRecordSet: aSet(fq("getchange"), 60, ["10.2.0.1"]) },
        ]);
        assert.match(out.ChangeInfo?.Id ?? "", /^\/change\/[A-Za-z0-9]+$/);
        assert.ok(out.ChangeInfo?.SubmittedAt instanceof Date);
        assert.ok(["PENDING", "INSYNC"].includes(out.ChangeInfo?.Status ?? ""), out.ChangeInfo?.Status);
        const bareId = out.ChangeInfo!.Id!.replace(/^\/change\//, "");
        let status: string | undefined;
        // Bounded: 50 polls, 100 ms apart.
        for (let i = 0; i < 50; i++) {
          const got: GetChangeCommandOutput = await be.client.send(
            new GetChangeCommand({ Id: out.ChangeInfo!.Id! }),
          );
          // moto echoes the id without its "/change/" prefix; AWS returns "/change/<id>". Both name the change.
          assert.equal(got.ChangeInfo?.Id?.replace(/^\/change\//, ""), bareId);
          status = got.ChangeInfo?.Status;
          if (status === "INSYNC") break;
          assert.equal(status, "PENDING");
          await new Promise((r) => setTimeout(r, 100));
        }
        assert.equal(status, "INSYNC");
      });

      // moto 5.2 answers GetChange with INSYNC for any id. AWS: NoSuchChange, "A change with the
      // specified change ID does not exist."
      itWhereDocumented?.("GetChange of an unknown change id fails with NoSuchChange", async () => {
        await expectAwsError(
          be.client.send(new GetChangeCommand({ Id: "CNOSUCHCHANGE0000" })),
          "NoSuchChange",
          404,
        );
      });
    });

    describe("ChangeResourceRecordSets errors and atomic batches", () => {
      it("CREATE of a set that exists, with the same values, fails with InvalidChangeBatch", async () => {
        const name = fq("dup-same");
        await change([{ Action: "CREATE", ResourceRecordSet: aSet(name, 60, ["10.3.0.1"]) }]);
        await expectAwsError(
          change([{ Action: "CREATE", ResourceRecordSet: aSet(name, 60, ["10.3.0.1"]) }]),
          "InvalidChangeBatch",
          400,
          name.slice(0, -1),
        );
        assert.deepEqual(await setsAt(name, "A"), [{ Name: name, Type: "A", TTL: 60, values: ["10.3.0.1"] }]);
      });

      // moto 5.2 rejects a CREATE only when an identical change is in its history; with other values it
      // adds a second set of the same name, type (and SetIdentifier). AWS: CREATE "returns an error if
      // a record set with the same name, type and set identifier already exists" ("Tried to create
      // resource record set ... but it already exists"), whatever the values.
      itWhereDocumented?.("CREATE of an existing set with other values fails and keeps the set", async () => {
        const name = fq("dup-other");
        const srv = fq("_dup._tcp");
        await change([
          { Action: "CREATE", ResourceRecordSet: aSet(name, 60, ["10.3.1.1"]) },
          {
            Action: "CREATE",
            ResourceRecordSet: srvSet(srv, "d-1", [`1 1 80 d.${be.zoneName}`], { multivalue: true }),
          },
        ]);
        await expectAwsError(
          change([{ Action: "CREATE", ResourceRecordSet: aSet(name, 30, ["10.3.1.2"]) }]),
          "InvalidChangeBatch",
          400,
          name.slice(0, -1),
        );
        await expectAwsError(
          change([
            {
              Action: "CREATE",
              ResourceRecordSet: srvSet(srv, "d-1", [`1 1 81 d.${be.zoneName}`], { multivalue: true }),
            },
          ]),
          "InvalidChangeBatch",
          400,
          srv.slice(0, -1),
        );
        assert.deepEqual(await setsAt(name, "A"), [{ Name: name, Type: "A", TTL: 60, values: ["10.3.1.1"] }]);
        assert.deepEqual(await setsAt(srv, "SRV"), [
          srvExpect(srv, "d-1", [`1 1 80 d.${be.zoneName}`], { multivalue: true }),
        ]);
      });

      // moto 5.2 checks a DELETE against its history of CREATE/UPSERT changes (answering InvalidInput
      // when none matches, and accepting a DELETE of a set that was deleted already), then removes by
      // SetIdentifier. AWS: "To delete a resource record set, you must specify all the same values that
      // you specified when you created it"; a missing set or other values fail with InvalidChangeBatch
      // ("Tried to delete resource record set ... but it was not found" / "... but the values provided
      // do not match the current values").
      itWhereDocumented?.("DELETE of a set that does not exist fails with InvalidChangeBatch", async () => {
        const name = fq("del-missing");
        await expectAwsError(
          change([{ Action: "DELETE", ResourceRecordSet: aSet(name, 60, ["10.4.0.1"]) }]),
          "InvalidChangeBatch",
          400,
          name.slice(0, -1),
        );
        // ...including a set that existed once and is gone now.
        await change([{ Action: "CREATE", ResourceRecordSet: aSet(name, 60, ["10.4.0.1"]) }]);
        await change([{ Action: "DELETE", ResourceRecordSet: aSet(name, 60, ["10.4.0.1"]) }]);
        await expectAwsError(
          change([{ Action: "DELETE", ResourceRecordSet: aSet(name, 60, ["10.4.0.1"]) }]),
          "InvalidChangeBatch",
          400,
          name.slice(0, -1),
        );
      });

      itWhereDocumented?.(
        "DELETE with other values or another TTL fails with InvalidChangeBatch",
        async () => {
          const name = fq("del-mismatch");
          const srv = fq("_del._tcp");
          const srvValue = [`1 1 80 x.${be.zoneName}`];
          await change([
            { Action: "CREATE", ResourceRecordSet: aSet(name, 60, ["10.4.1.1", "10.4.1.2"]) },
            { Action: "CREATE", ResourceRecordSet: srvSet(srv, "x-1", srvValue, { multivalue: true }) },
          ]);
          for (const wrong of [aSet(name, 60, ["10.4.1.1"]), aSet(name, 61, ["10.4.1.1", "10.4.1.2"])]) {
            await expectAwsError(
              change([{ Action: "DELETE", ResourceRecordSet: wrong }]),
              "InvalidChangeBatch",
              400,
              name.slice(0, -1),
            );
          }
          const wrongSrv = { ...srvSet(srv, "x-1", srvValue, { multivalue: true }), TTL: 11 };
          await expectAwsError(
            change([{ Action: "DELETE", ResourceRecordSet: wrongSrv }]),
            "InvalidChangeBatch",
            400,
            srv.slice(0, -1),
          );
          // A history of matching writes is not enough: the current set is what must match.
          await change([
            {
              Action: "UPSERT",
              ResourceRecordSet: srvSet(srv, "x-1", [`1 1 81 x.${be.zoneName}`], { multivalue: true }),
            },
          ]);
          await expectAwsError(
            change([
              { Action: "DELETE", ResourceRecordSet: srvSet(srv, "x-1", srvValue, { multivalue: true }) },
            ]),
            "InvalidChangeBatch",
            400,
            srv.slice(0, -1),
          );
          assert.deepEqual(await setsAt(name, "A"), [
            { Name: name, Type: "A", TTL: 60, values: ["10.4.1.1", "10.4.1.2"] },
          ]);
          assert.deepEqual(await setsAt(srv, "SRV"), [
            srvExpect(srv, "x-1", [`1 1 81 x.${be.zoneName}`], { multivalue: true }),
          ]);
        },
      );

      // AWS API reference, ResourceRecordSet `Weight`: "You can only specify one ResourceRecord per
      // weighted resource record set." (The Developer Guide's console page for weighted records lets
      // a record hold several values; the API reference is the contract this suite holds to.)
      // moto 5.2 accepts several values.
      itWhereDocumented?.("a weighted set with two values fails with InvalidChangeBatch", async () => {
        const name = fq("_w2._tcp");
        const values = [`1 1 80 a.${be.zoneName}`, `1 1 81 b.${be.zoneName}`];
        await expectAwsError(
          change([{ Action: "CREATE", ResourceRecordSet: srvSet(name, "w2-a", values, { weight: 1 }) }]),
          "InvalidChangeBatch",
          400,
          name.slice(0, -1),
        );
        assert.deepEqual(await setsAt(name, "SRV"), []);
      });

      // AWS Developer Guide, "Values specific for weighted records", TTL: "If you create two or more
      // weighted records that have the same name and type, and you specify different values for TTL,
      // Route 53 changes the TTL for all of the records to the value that you specified last."
      // moto 5.2 keeps each set's own TTL.
      itWhereDocumented?.("weighted sets of one name and type all take the TTL given last", async () => {
        const name = fq("_wttl._tcp");
        const value = (port: number) => [`1 1 ${port} a.${be.zoneName}`];
        const withTtl = (set: ResourceRecordSet, ttl: number): ResourceRecordSet => ({ ...set, TTL: ttl });
        await change([
          { Action: "CREATE", ResourceRecordSet: withTtl(srvSet(name, "t-a", value(80), { weight: 1 }), 10) },
        ]);
        await change([
          { Action: "CREATE", ResourceRecordSet: withTtl(srvSet(name, "t-b", value(81), { weight: 2 }), 30) },
        ]);
        assert.deepEqual(
          (await setsAt(name, "SRV")).map((s) => [s.SetIdentifier, s.TTL]),
          [
            ["t-a", 30],
            ["t-b", 30],
          ],
        );
        await change([
          { Action: "UPSERT", ResourceRecordSet: withTtl(srvSet(name, "t-a", value(82), { weight: 1 }), 20) },
        ]);
        assert.deepEqual(
          (await setsAt(name, "SRV")).map((s) => [s.SetIdentifier, s.TTL, s.values]),
          [
            ["t-a", 20, value(82)],
            ["t-b", 20, value(81)],
          ],
        );
        // The TTL Route53 set is the current one: a DELETE must give it, not the one first written.
        await change([
          { Action: "DELETE", ResourceRecordSet: withTtl(srvSet(name, "t-b", value(81), { weight: 2 }), 20) },
        ]);
        if (be.dns) {
          const got = await dig(be.dns, "SRV", name);
          assert.deepEqual(
            got.answer.map((r) => [r.ttl, r.data]),
            [[20, `${value(82)[0]}.`]],
          );
        }
      });

      // AWS API reference, ResourceRecordSet `Name`: Route53 "treats www.example.com (without a
      // trailing dot) and www.example.com. (with a trailing dot) as identical", and it does so for
      // names inside values too (an UPSERT that only adds the dot to a value changes nothing, and a
      // DELETE written without it removes a value stored with it: octodns/octodns-route53#96).
      // So a DELETE whose SRV target differs only by the trailing dot names the same set.
      // moto 5.2 compares values as raw text.
      itWhereDocumented?.(
        "DELETE matches an SRV value whose target differs only by the trailing dot",
        async () => {
          const name = fq("_dot._tcp");
          const bare = `1 1 80 h.${be.zoneName}`;
          await change([
            { Action: "CREATE", ResourceRecordSet: srvSet(name, "d-1", [bare], { multivalue: true }) },
          ]);
          await change([
            { Action: "DELETE", ResourceRecordSet: srvSet(name, "d-1", [`${bare}.`], { multivalue: true }) },
          ]);
          assert.deepEqual(await setsAt(name, "SRV"), []);
          await change([
            { Action: "CREATE", ResourceRecordSet: srvSet(name, "d-2", [`${bare}.`], { multivalue: true }) },
          ]);
          await change([
            { Action: "DELETE", ResourceRecordSet: srvSet(name, "d-2", [bare], { multivalue: true }) },
          ]);
          assert.deepEqual(await setsAt(name, "SRV"), []);
          // Only the dot is forgiven: another target is another value.
          await change([
            { Action: "CREATE", ResourceRecordSet: srvSet(name, "d-3", [bare], { multivalue: true }) },
          ]);
          await expectAwsError(
            change([
              {
                Action: "DELETE",
                ResourceRecordSet: srvSet(name, "d-3", [`1 1 80 g.${be.zoneName}.`], { multivalue: true }),
              },
            ]),
            "InvalidChangeBatch",
            400,
            name.slice(0, -1),
          );
        },
      );

      it("a batch with one duplicate CREATE changes nothing at all", async () => {
        const existing = fq("atomic-existing");
        const fresh = fq("atomic-fresh");
        const srv = fq("_atomic._tcp");
        await change([{ Action: "CREATE", ResourceRecordSet: aSet(existing, 60, ["10.5.0.1"]) }]);
        await expectAwsError(
          change([
            { Action: "CREATE", ResourceRecordSet: aSet(fresh, 60, ["10.5.0.2"]) },
            {
              Action: "CREATE",
              ResourceRecordSet: srvSet(srv, "a-1", [`1 1 80 a.${be.zoneName}`], { multivalue: true }),
            },
            { Action: "UPSERT", ResourceRecordSet: aSet(fq("atomic-upsert"), 60, ["10.5.0.3"]) },
            { Action: "CREATE", ResourceRecordSet: aSet(existing, 60, ["10.5.0.1"]) },
          ]),
          "InvalidChangeBatch",
          400,
        );
        assert.deepEqual(await setsAt(fresh, "A"), []);
        assert.deepEqual(await setsAt(srv, "SRV"), []);
        assert.deepEqual(await setsAt(fq("atomic-upsert"), "A"), []);
        assert.deepEqual(await setsAt(existing, "A"), [
          { Name: existing, Type: "A", TTL: 60, values: ["10.5.0.1"] },
        ]);
      });

      // moto 5.2 validates duplicate CREATEs and DELETEs before applying a batch but checks names
      // against the zone while applying, so changes before an out-of-zone name stay applied. AWS:
      // "Change batches are considered transactional changes ... Route 53 validates the changes in
      // the request and then either makes all or none of the changes."
      itWhereDocumented?.(
        "a batch with a DELETE that does not match, or a name outside the zone, changes nothing",
        async () => {
          const kept = fq("atomic2-kept");
          await change([{ Action: "CREATE", ResourceRecordSet: aSet(kept, 60, ["10.5.1.1"]) }]);
          const badOnes: Change[] = [
            { Action: "DELETE", ResourceRecordSet: aSet(kept, 60, ["10.5.1.9"]) },
            { Action: "DELETE", ResourceRecordSet: aSet(fq("atomic2-missing"), 60, ["10.5.1.1"]) },
            { Action: "CREATE", ResourceRecordSet: aSet("outside.example.com.", 60, ["10.5.1.1"]) },
          ];
          for (const bad of badOnes) {
            await expectAwsError(
              change([
                { Action: "CREATE", ResourceRecordSet: aSet(fq("atomic2-fresh"), 60, ["10.5.1.2"]) },
                { Action: "DELETE", ResourceRecordSet: aSet(kept, 60, ["10.5.1.1"]) },
                bad,
              ]),
              "InvalidChangeBatch",
              400,
            );
            assert.deepEqual(await setsAt(fq("atomic2-fresh"), "A"), []);
            assert.deepEqual(await setsAt(kept, "A"), [
              { Name: kept, Type: "A", TTL: 60, values: ["10.5.1.1"] },
            ]);
          }
        },
      );

      it("a name outside the zone fails with InvalidChangeBatch", async () => {
        await expectAwsError(
          change([{ Action: "CREATE", ResourceRecordSet: aSet("calc.example.com.", 60, ["10.6.0.1"]) }]),
          "InvalidChangeBatch",
          400,
          "calc.example.com",
        );
      });

      it("a DELETE without TTL and ResourceRecords fails with InvalidInput", async () => {
        const name = fq("del-incomplete");
        await change([{ Action: "CREATE", ResourceRecordSet: aSet(name, 60, ["10.6.1.1"]) }]);
        await expectAwsError(
          change([{ Action: "DELETE", ResourceRecordSet: { Name: name, Type: "A" } }]),
          "InvalidInput",
          400,
        );
        assert.deepEqual(await setsAt(name, "A"), [{ Name: name, Type: "A", TTL: 60, values: ["10.6.1.1"] }]);
      });

      it("an Action other than CREATE, UPSERT or DELETE fails with InvalidInput", async () => {
        const bogus = { Action: "REPLACE", ResourceRecordSet: aSet(fq("bogus-action"), 60, ["10.6.2.1"]) };
        await expectAwsError(change([bogus as unknown as Change]), "InvalidInput", 400);
        assert.deepEqual(await setsAt(fq("bogus-action"), "A"), []);
      });

      it("more than 1,000 ResourceRecord elements in a batch (UPSERT counts twice) fail with InvalidChangeBatch", async () => {
        const upserts: Change[] = Array.from({ length: 501 }, (_, i) => ({
          Action: "UPSERT",
          ResourceRecordSet: aSet(fq(`limit-${i}`), 60, ["10.7.0.1"]),
        }));
        await expectAwsError(change(upserts), "InvalidChangeBatch", 400);
        assert.deepEqual(await setsAt(fq("limit-0"), "A"), []);
      });

      it("changes and listings in an unknown zone fail with NoSuchHostedZone", async () => {
        const HostedZoneId = "ZNOSUCHZONE000000000";
        await expectAwsError(
          be.client.send(
            new ChangeResourceRecordSetsCommand({
              HostedZoneId,
              ChangeBatch: {
                Changes: [{ Action: "UPSERT", ResourceRecordSet: aSet(fq("nz"), 60, ["10.8.0.1"]) }],
              },
            }),
          ),
          "NoSuchHostedZone",
          404,
        );
        await expectAwsError(
          be.client.send(new ListResourceRecordSetsCommand({ HostedZoneId })),
          "NoSuchHostedZone",
          404,
        );
      });
    });

    // moto 5.2 accepts every one of these batches (and, for the CREATE twice, stores two sets). AWS's
    // API reference and quotas: SetIdentifier is 1-128 characters and needs exactly one routing policy
    // (Weight, MultiValueAnswer, ...); Weight is 0-255 and needs a SetIdentifier; CREATE needs TTL and
    // ResourceRecords; values must parse for their type ("Invalid Resource Record: FATAL problem ...");
    // at most 100 weighted or multivalue record sets share a name and type; a batch is validated
    // change by change against the zone as the earlier changes leave it.
    const describeWhereDocumented = target.followsAwsDocs ? describe : undefined;
    describeWhereDocumented?.("ChangeResourceRecordSets validation that AWS documents", () => {
      const srvValue = () => [`1 1 80 v.${be.zoneName}`];
      const cases: Array<[string, () => Change[], string]> = [
        [
          "the same CREATE twice in one batch",
          () => [
            { Action: "CREATE", ResourceRecordSet: aSet(fq("v-twice"), 60, ["10.11.0.1"]) },
            { Action: "CREATE", ResourceRecordSet: aSet(fq("v-twice"), 60, ["10.11.0.1"]) },
          ],
          "InvalidChangeBatch",
        ],
        [
          "a CREATE without TTL",
          () => [
            {
              Action: "CREATE",
              ResourceRecordSet: {
                Name: fq("v-nottl"),
                Type: "A",
                ResourceRecords: [{ Value: "10.11.0.2" }],
              },
            },
          ],
          "InvalidInput",
        ],
        [
          "a SetIdentifier without Weight or MultiValueAnswer",
          () => [
            {
              Action: "CREATE",
              ResourceRecordSet: {
                ...srvSet(fq("_v-nopolicy._tcp"), "v-1", srvValue(), { multivalue: true }),
                MultiValueAnswer: undefined,
              },
            },
          ],
          "InvalidInput",
        ],
        [
          "a Weight without SetIdentifier",
          () => [
            {
              Action: "CREATE",
              ResourceRecordSet: {
                ...srvSet(fq("_v-noid._tcp"), "v-1", srvValue(), { weight: 1 }),
                SetIdentifier: undefined,
              },
            },
          ],
          "InvalidInput",
        ],
        [
          "a Weight of 256",
          () => [
            {
              Action: "CREATE",
              ResourceRecordSet: srvSet(fq("_v-w256._tcp"), "v-1", srvValue(), { weight: 256 }),
            },
          ],
          "InvalidInput",
        ],
        [
          "a SetIdentifier of 129 characters",
          () => [
            {
              Action: "CREATE",
              ResourceRecordSet: srvSet(fq("_v-longid._tcp"), "x".repeat(129), srvValue(), {
                multivalue: true,
              }),
            },
          ],
          "InvalidInput",
        ],
        [
          "an SRV value whose port is not a number",
          () => [
            {
              Action: "CREATE",
              ResourceRecordSet: srvSet(fq("_v-badsrv._tcp"), "v-1", [`1 1 http v.${be.zoneName}`], {
                multivalue: true,
              }),
            },
          ],
          "InvalidChangeBatch",
        ],
        [
          "an A value that is not an IPv4 address",
          () => [{ Action: "CREATE", ResourceRecordSet: aSet(fq("v-bada"), 60, ["10.11.0"]) }],
          "InvalidChangeBatch",
        ],
        [
          "101 multivalue sets of one name and type",
          () =>
            Array.from({ length: 101 }, (_, i) => ({
              Action: "CREATE" as const,
              ResourceRecordSet: srvSet(fq("_v-101._tcp"), `v-${i}`, [`1 1 ${1000 + i} v.${be.zoneName}`], {
                multivalue: true,
              }),
            })),
          "InvalidChangeBatch",
        ],
      ];
      for (const [what, changes, error] of cases) {
        it(`rejects ${what} with ${error} and changes nothing`, async () => {
          const batch = changes();
          await expectAwsError(change(batch), error, 400);
          const first = batch[0]!.ResourceRecordSet!;
          assert.deepEqual(await setsAt(first.Name!, first.Type!), []);
        });
      }
    });

    describe("ListResourceRecordSets ordering and pagination", () => {
      // Names chosen so that no label holds a character below "." (see the trailing-dot case below),
      // which keeps moto's order and AWS's documented order the same for this subtree.
      const subtreeLabels = ["ord", "_srv._tcp.ord", "a.ord", "z.a.ord", "a0.ord", "aa.ord", "b.ord"];
      let subtree: string;
      let expected: Array<[string, string]>;

      before(async () => {
        subtree = fq("ord");
        const changes: Change[] = [];
        for (const label of [...subtreeLabels].reverse()) {
          changes.push({ Action: "CREATE", ResourceRecordSet: aSet(fq(label), 60, ["10.9.0.1"]) });
        }
        changes.push({
          Action: "CREATE",
          ResourceRecordSet: {
            Name: fq("a.ord"),
            Type: "SRV",
            TTL: 10,
            ResourceRecords: [{ Value: `1 1 80 a.ord.${be.zoneName}` }],
          },
        });
        await change(changes);
        expected = [
          [fq("ord"), "A"],
          [fq("_srv._tcp.ord"), "A"],
          [fq("a.ord"), "A"],
          [fq("a.ord"), "SRV"],
          [fq("z.a.ord"), "A"],
          [fq("a0.ord"), "A"],
          [fq("aa.ord"), "A"],
          [fq("b.ord"), "A"],
        ];
      });

      it("sorts by name with labels reversed, then by type", async () => {
        const pages = await listSubtree(subtree, 300);
        const got = inSubtree(pages, subtree).map((rs) => [rs.Name, rs.Type]);
        assert.deepEqual(got, expected);
      });

      it("pages by MaxItems with NextRecordName/NextRecordType, each set exactly once", async () => {
        const pages = await listSubtree(subtree, 3);
        for (const page of pages.slice(0, -1)) {
          assert.equal(page.sets.length, 3, "a truncated page holds exactly MaxItems sets");
          assert.equal(page.isTruncated, true);
        }
        assert.deepEqual(
          inSubtree(pages, subtree).map((rs) => [rs.Name, rs.Type]),
          expected,
        );
      });

      it("IsTruncated is false and no Next* is given when everything fits", async () => {
        const out = await be.client.send(
          new ListResourceRecordSetsCommand({ HostedZoneId: be.hostedZoneId, MaxItems: 300 }),
        );
        assert.equal(out.IsTruncated, false);
        assert.equal(out.NextRecordName, undefined);
        assert.equal(out.NextRecordType, undefined);
      });

      it("StartRecordName starts at the first name at or after it", async () => {
        const exact = await be.client.send(
          new ListResourceRecordSetsCommand({
            HostedZoneId: be.hostedZoneId,
            StartRecordName: fq("a.ord"),
            MaxItems: 2,
          }),
        );
        assert.deepEqual(
          exact.ResourceRecordSets?.map((rs) => [rs.Name, rs.Type]),
          [
            [fq("a.ord"), "A"],
            [fq("a.ord"), "SRV"],
          ],
        );
        const between = await be.client.send(
          new ListResourceRecordSetsCommand({
            HostedZoneId: be.hostedZoneId,
            StartRecordName: fq("ab.ord"),
            MaxItems: 1,
          }),
        );
        assert.deepEqual(
          between.ResourceRecordSets?.map((rs) => [rs.Name, rs.Type]),
          [[fq("b.ord"), "A"]],
        );
      });

      it("StartRecordName with StartRecordType starts at that name and the first type at or after it", async () => {
        const out = await be.client.send(
          new ListResourceRecordSetsCommand({
            HostedZoneId: be.hostedZoneId,
            StartRecordName: fq("a.ord"),
            StartRecordType: "CNAME",
            MaxItems: 1,
          }),
        );
        assert.deepEqual(
          out.ResourceRecordSets?.map((rs) => [rs.Name, rs.Type]),
          [[fq("a.ord"), "SRV"]],
        );
      });

      it("StartRecordType without StartRecordName fails with InvalidInput", async () => {
        await expectAwsError(
          be.client.send(
            new ListResourceRecordSetsCommand({ HostedZoneId: be.hostedZoneId, StartRecordType: "SRV" }),
          ),
          "InvalidInput",
          400,
        );
      });

      // moto 5.2 compares reversed names without their trailing dot, so "a." sorts before "a-b.".
      // AWS: "Note the trailing dot, which can change the sort order when the record name contains
      // characters that appear before . (decimal 46) in the ASCII table ... ! \" # $ % & ' ( ) * + , -"
      itWhereDocumented?.("compares names with their trailing dot, so a-b.x sorts before a.x", async () => {
        const sub = fq("dot");
        await change([
          { Action: "CREATE", ResourceRecordSet: aSet(fq("a.dot"), 60, ["10.9.1.1"]) },
          { Action: "CREATE", ResourceRecordSet: aSet(fq("a-b.dot"), 60, ["10.9.1.2"]) },
          { Action: "CREATE", ResourceRecordSet: aSet(fq("a0.dot"), 60, ["10.9.1.3"]) },
        ]);
        const got = inSubtree(await listSubtree(sub, 300), sub).map((rs) => rs.Name);
        assert.deepEqual(got, [fq("a-b.dot"), fq("a.dot"), fq("a0.dot")]);
      });

      // moto 5.2 ignores StartRecordIdentifier (its docstring: "The StartRecordIdentifier-parameter is
      // not yet implemented") and returns no NextRecordIdentifier, so a page boundary inside one
      // name+type repeats sets or never ends. AWS: "If the results were truncated for a given DNS name
      // and type, the value of SetIdentifier for the next resource record set that has the current DNS
      // name and type" is NextRecordIdentifier, to pass back as StartRecordIdentifier.
      itWhereDocumented?.(
        "pages through many multivalue sets of one name and type with NextRecordIdentifier",
        async () => {
          const name = fq("_many._tcp.pg");
          const ids = Array.from({ length: 11 }, (_, i) => `pg-${String(i).padStart(2, "0")}`);
          await change(
            ids.map((id, i) => ({
              Action: "CREATE",
              ResourceRecordSet: srvSet(name, id, [`1 1 ${9000 + i} ${id}.${be.zoneName}`], {
                multivalue: true,
              }),
            })),
          );
          for (const maxItems of [1, 2, 3, 5]) {
            const pages = await listSubtree(name, maxItems);
            for (const page of pages.slice(0, -1)) {
              assert.equal(page.sets.length, maxItems);
            }
            const got = inSubtree(pages, name).map((rs) => rs.SetIdentifier);
            assert.deepEqual([...got].sort(), ids, `MaxItems ${maxItems}: each set exactly once`);
          }
        },
      );

      // moto 5.2 returns as many sets as MaxItems asks. AWS: "If you specify a value greater than 300,
      // Route 53 returns only the first 300."
      itWhereDocumented?.("returns at most 300 sets per page whatever MaxItems asks", async () => {
        await change(
          Array.from({ length: 320 }, (_, i) => ({
            Action: "CREATE" as const,
            ResourceRecordSet: aSet(fq(`h${String(i).padStart(3, "0")}.cap`), 60, ["10.10.0.1"]),
          })),
        );
        const out = await be.client.send(
          new ListResourceRecordSetsCommand({
            HostedZoneId: be.hostedZoneId,
            StartRecordName: fq("cap"),
            MaxItems: 1000,
          }),
        );
        assert.equal(out.ResourceRecordSets?.length, 300);
        assert.equal(out.IsTruncated, true);
      });
    });

    // What the API wrote, read back over DNS by dig: only back ends that serve DNS (not moto).
    const describeDns = target.servesDns ? describe : undefined;
    describeDns?.("DNS answers for records written through the API (dig)", () => {
      const dnsOf = () => {
        assert.ok(be.dns, `${target.name} says it serves DNS but gave no DNS address`);
        return be.dns;
      };
      const digIt = (type: string, name: string) => dig(dnsOf(), type, name);

      it("answers every multivalue SRV set and the host A record, with their TTLs", async () => {
        const name = fq("_dig._tcp");
        const values = [0, 1, 2].map((i) => `1 1 ${7000 + i} dig-host.${be.zoneName}`);
        await change([
          { Action: "CREATE", ResourceRecordSet: aSet(fq("dig-host"), 60, ["127.0.0.1"]) },
          ...values.map(
            (v, i): Change => ({
              Action: "CREATE",
              ResourceRecordSet: srvSet(name, `dig-${i}`, [v], { multivalue: true }),
            }),
          ),
        ]);
        const srv = await digIt("SRV", name);
        assert.equal(srv.status, "NOERROR");
        assert.deepEqual(
          srv.answer.map((r) => [r.name, r.type, r.ttl, r.data]).sort(),
          values.map((v) => [name, "SRV", 10, `${v}.`]).sort(),
        );
        const a = await digIt("A", fq("dig-host"));
        assert.deepEqual(
          a.answer.map((r) => [r.name, r.type, r.ttl, r.data]),
          [[fq("dig-host"), "A", 60, "127.0.0.1"]],
        );
      });

      it("shows an UPSERT, and after the last DELETE answers NXDOMAIN with the zone's SOA", async () => {
        const name = fq("_digchange._tcp");
        const before = `1 1 7100 dig-host.${be.zoneName}`;
        const after = `2 3 7101 dig-host.${be.zoneName}`;
        await change([
          { Action: "CREATE", ResourceRecordSet: srvSet(name, "c-1", [before], { multivalue: true }) },
        ]);
        await change([
          { Action: "UPSERT", ResourceRecordSet: srvSet(name, "c-1", [after], { multivalue: true }) },
        ]);
        assert.deepEqual(
          (await digIt("SRV", name)).answer.map((r) => r.data),
          [`${after}.`],
        );
        await change([
          { Action: "DELETE", ResourceRecordSet: srvSet(name, "c-1", [after], { multivalue: true }) },
        ]);
        const gone = await digIt("SRV", name);
        assert.equal(gone.status, "NXDOMAIN");
        assert.deepEqual(
          gone.authority.map((r) => [r.name, r.type]),
          [[`${be.zoneName}.`, "SOA"]],
        );
      });

      // AWS: "If you have more than eight healthy records, Route 53 responds to each DNS query with
      // eight randomly selected healthy records" (multivalue answer routing).
      it("answers at most eight of more than eight multivalue sets, all of them current", async () => {
        const name = fq("_digmany._tcp");
        const values = Array.from({ length: 12 }, (_, i) => `1 1 ${7200 + i} dig-host.${be.zoneName}`);
        await change(
          values.map((v, i) => ({
            Action: "CREATE",
            ResourceRecordSet: srvSet(name, `m-${i}`, [v], { multivalue: true }),
          })),
        );
        const seen = new Set<string>();
        for (let i = 0; i < 5; i++) {
          const got = await digIt("SRV", name);
          assert.equal(got.answer.length, 8);
          assert.equal(new Set(got.answer.map((r) => r.data)).size, 8, "no record twice in one answer");
          for (const r of got.answer) {
            assert.ok(values.includes(r.data.replace(/\.$/, "")), `unexpected answer ${r.data}`);
            seen.add(r.data);
          }
        }
        assert.ok(seen.size > 8, "the eight are chosen anew for each query");
      });

      // AWS: weighted routing answers each query with one record set chosen by weight.
      it("answers one record set of a weighted name, and never one of weight 0", async () => {
        const name = fq("_digweight._tcp");
        const live = `1 1 7301 dig-host.${be.zoneName}`;
        await change([
          { Action: "CREATE", ResourceRecordSet: srvSet(name, "w-live", [live], { weight: 5 }) },
          {
            Action: "CREATE",
            ResourceRecordSet: srvSet(name, "w-zero", [`1 1 7300 dig-host.${be.zoneName}`], { weight: 0 }),
          },
        ]);
        for (let i = 0; i < 5; i++) {
          const got = await digIt("SRV", name);
          assert.deepEqual(
            got.answer.map((r) => r.data),
            [`${live}.`],
          );
        }
      });
    });
  });
}

interface ListedPage {
  sets: ResourceRecordSet[];
  isTruncated: boolean;
  next?: string;
}

/** A record set as a user compares it: values as a sorted list, absent optional fields left out. */
interface Normalized {
  Name?: string;
  Type?: string;
  TTL?: number;
  SetIdentifier?: string;
  Weight?: number;
  MultiValueAnswer?: boolean;
  values: string[];
}

function normalize(rs: ResourceRecordSet): Normalized {
  const out: Normalized = { Name: rs.Name, Type: rs.Type, TTL: rs.TTL, values: [] };
  if (rs.SetIdentifier !== undefined) out.SetIdentifier = rs.SetIdentifier;
  if (rs.Weight !== undefined) out.Weight = rs.Weight;
  // Route53 states MultiValueAnswer only on multivalue sets; "false" and absent mean the same.
  if (rs.MultiValueAnswer) out.MultiValueAnswer = true;
  // Route53 does not promise an order of values inside a set.
  out.values = (rs.ResourceRecords ?? []).map((r) => r.Value ?? "").sort();
  return out;
}

function aSet(name: string, ttl: number, values: string[]): ResourceRecordSet {
  return { Name: name, Type: "A", TTL: ttl, ResourceRecords: values.map((Value) => ({ Value })) };
}

type Policy = { multivalue: true } | { weight: number };

function srvSet(name: string, setIdentifier: string, values: string[], policy: Policy): ResourceRecordSet {
  return {
    Name: name,
    Type: "SRV",
    TTL: 10,
    SetIdentifier: setIdentifier,
    ...("weight" in policy ? { Weight: policy.weight } : { MultiValueAnswer: true }),
    ResourceRecords: values.map((Value) => ({ Value })),
  };
}

function srvExpect(name: string, setIdentifier: string, values: string[], policy: Policy): Normalized {
  return {
    Name: name,
    Type: "SRV",
    TTL: 10,
    SetIdentifier: setIdentifier,
    ...("weight" in policy ? { Weight: policy.weight } : { MultiValueAnswer: true }),
    values: [...values].sort(),
  };
}

/** True when `name` is `subtree` or below it (both fully qualified). */
function isUnder(name: string, subtree: string): boolean {
  return name === subtree || name.endsWith(`.${subtree}`);
}

/** AWS's documented order: labels reversed, trailing dot kept, ASCII; then record type. */
export function compareAwsOrder(nameA: string, typeA: string, nameB: string, typeB: string): number {
  const key = (n: string) => `${n.replace(/\.$/, "").split(".").reverse().join(".")}.`;
  const ka = key(nameA);
  const kb = key(nameB);
  if (ka !== kb) return ka < kb ? -1 : 1;
  return typeA < typeB ? -1 : typeA > typeB ? 1 : 0;
}

/** Assert that `p` fails with the AWS error `name` and HTTP `status`, its message naming `mentions`. */
async function expectAwsError(
  p: Promise<unknown>,
  name: string,
  status: number,
  mentions?: string,
): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    assert.equal(e.name, name, `expected ${name}, got ${e.name}: ${e.message}`);
    assert.equal(e.$metadata?.httpStatusCode, status, `${name} should come with HTTP ${status}`);
    if (mentions !== undefined) {
      assert.ok(e.message?.includes(mentions), `the message should name ${mentions}: ${e.message}`);
    }
    return true;
  });
}
