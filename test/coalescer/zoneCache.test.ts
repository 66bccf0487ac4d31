// The coalescer's copy of the zone, as a host's own sets are found in it: through the index of the hosts their
// SetIdentifiers name, which must follow every way the copy changes (a listing, an accepted batch, a re-read).
import assert from "node:assert/strict";
import { ZoneCache } from "../../coalescer/zoneCache";
import { type RecordSet, recordSetKey } from "../../records";
import { hostA, srvRecord } from "../kit/recordFixtures";

const keys = (sets: readonly RecordSet[]) => sets.map(recordSetKey).sort();

describe("ZoneCache: a host's own sets", () => {
  it("finds each host's sets, and follows deletions, re-reads and listings", () => {
    const cache = new ZoneCache();
    const [aHost, aSrv] = [hostA("host-a"), srvRecord({ hostId: "host-a", container: 1, hostPort: 30001 })];
    const [bHost, bSrv] = [hostA("host-b"), srvRecord({ hostId: "host-b", container: 2, hostPort: 30002 })];
    cache.replaceAll([aHost, aSrv, bHost, bSrv]);
    assert.deepEqual(keys(cache.hostSets("host-a")), keys([aHost, aSrv]));
    assert.deepEqual(keys(cache.hostSets("host-b")), keys([bHost, bSrv]));

    cache.apply([{ action: "DELETE", recordSet: aSrv }]);
    assert.deepEqual(keys(cache.hostSets("host-a")), keys([aHost]));
    cache.apply([{ action: "UPSERT", recordSet: aSrv }]);
    assert.deepEqual(keys(cache.hostSets("host-a")), keys([aHost, aSrv]), "back once, not twice");

    // A re-read of the service's name that finds it empty now: both hosts' instances there are gone.
    cache.replaceNames([bSrv.Name], []);
    assert.deepEqual(keys(cache.hostSets("host-b")), keys([bHost]));
    assert.deepEqual(keys(cache.hostSets("host-a")), keys([aHost]));

    cache.replaceAll([aHost]);
    assert.deepEqual(keys(cache.hostSets("host-a")), keys([aHost]));
    assert.deepEqual(cache.hostSets("host-b"), []);
    assert.deepEqual(cache.hostSets("host-c"), []);
  });
});
