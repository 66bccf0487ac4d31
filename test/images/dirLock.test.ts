// images/dirLock.ts, the image builder's lock across processes, as a stopped `npm start` leaves it: a build
// killed while holding it must not hold up the next one, a live one is waited for and named once, and the
// builds of one process take it in turn without waiting on themselves.
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { lockOwner, processStarted, withDirLock } from "../../images/dirLock";
import { REPO_ROOT } from "../scripts/prepareScripts";

/** A separate node process that takes the lock and holds it `holdMs` (until killed when undefined), then exits. */
function holderProcess(lock: string, holdMs?: number) {
  const code = `
    const { withDirLock } = require("./images/dirLock");
    withDirLock(${JSON.stringify(lock)}, { what: "image build" }, () => {
      console.log("held");
      return new Promise((r) => setTimeout(r, ${holdMs ?? 1e9}));
    });`;
  const child = spawn(process.execPath, ["--require", "tsx/cjs", "-e", code], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const held = new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (chunk) => String(chunk).includes("held") && resolve());
    child.on("exit", (code) => reject(new Error(`the holder exited (${code}) before holding the lock`)));
  });
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  return { child, held, exited };
}

describe("images/dirLock: the image builder's lock across processes", () => {
  let dir: string;
  let lock: string;
  let said: string[];
  const opts = () => ({ what: "image build", say: (line: string) => said.push(line) });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "ecssd-buildlock-"));
    lock = join(dir, "images", ".build.lock");
    said = [];
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("a holder killed with SIGKILL (as a Ctrl-C during the build leaves it) does not hold up the next build", async () => {
    const holder = holderProcess(lock);
    await holder.held;
    assert.equal(lockOwner(lock).pid, holder.child.pid);
    holder.child.kill("SIGKILL");
    await holder.exited;
    assert.ok(existsSync(lock), "the killed holder's folder is what the next build meets");

    const started = Date.now();
    const ran = await withDirLock(lock, opts(), async () => lockOwner(lock).pid);
    assert.ok(Date.now() - started < 1_000, `took ${Date.now() - started} ms`);
    assert.equal(ran, process.pid);
    assert.deepEqual(said, []);
    assert.ok(!existsSync(lock), "released after the build");
  });

  it("a live holder in another process is waited for, named once by its pid, and the lock taken when it ends", async () => {
    const holder = holderProcess(lock, 1_000);
    await holder.held;
    await withDirLock(lock, opts(), async () => assert.equal(lockOwner(lock).pid, process.pid));
    assert.deepEqual(said, [`waiting for another image build (pid ${holder.child.pid}) to finish: ${lock}`]);
    await holder.exited;
  });

  it("a lock whose pid now belongs to another process (started at another time) is taken over at once", async () => {
    // A running process of this machine stands for the one that was given the dead owner's pid.
    const other = holderProcess(join(dir, "other.lock"));
    await other.held;
    mkdirSync(lock, { recursive: true });
    writeFileSync(join(lock, "host"), `${hostname()}\n`);
    writeFileSync(join(lock, "started"), "1\n");
    writeFileSync(join(lock, "pid"), `${other.child.pid}\n`);
    await withDirLock(lock, opts(), async () => undefined);
    assert.deepEqual(said, []);
    other.child.kill("SIGKILL");
    await other.exited;
  });

  /** A lock folder as a build killed after writing its pid leaves it (no process has that pid). */
  function deadOwnersLock(): void {
    mkdirSync(lock, { recursive: true });
    writeFileSync(join(lock, "host"), `${hostname()}\n`);
    writeFileSync(join(lock, "pid"), `${2 ** 22 + 1}\n`);
  }

  it("a dead owner's lock another waiter is taking over (its `takeover` beside the lock) is taken once that waiter lets go", async () => {
    deadOwnersLock();
    const guard = `${lock}.takeover`;
    mkdirSync(guard);
    setTimeout(() => rmSync(guard, { recursive: true, force: true }), 100);
    const started = Date.now();
    const ran = await withDirLock(lock, { ...opts(), pollMs: 20 }, async () => lockOwner(lock).pid);
    assert.equal(ran, process.pid);
    assert.ok(
      Date.now() - started >= 90,
      `took ${Date.now() - started} ms: the other waiter's takeover was not waited for`,
    );
    assert.deepEqual(said, []);
    assert.ok(!existsSync(lock) && !existsSync(guard));
  });

  it("a `takeover` left beside a dead owner's lock by a waiter killed in it is removed once a minute old", async () => {
    deadOwnersLock();
    const guard = `${lock}.takeover`;
    mkdirSync(guard);
    const then = Date.now() / 1000 - 90;
    utimesSync(guard, then, then);
    const started = Date.now();
    await withDirLock(lock, { ...opts(), pollMs: 20 }, async () => undefined);
    assert.ok(Date.now() - started < 1_000, `took ${Date.now() - started} ms`);
    assert.deepEqual(said, []);
    assert.ok(!existsSync(lock) && !existsSync(guard));
  });

  /** A lock folder as an owner killed after writing `host` but before its pid leaves it, made `ageS` ago. */
  function pidlessLock(ageS: number): void {
    mkdirSync(lock, { recursive: true });
    writeFileSync(join(lock, "host"), `${hostname()}\n`);
    const then = Date.now() / 1000 - ageS;
    utimesSync(lock, then, then);
  }

  it("a lock whose owner was killed before writing its pid is taken over at once when over a minute old", async () => {
    pidlessLock(90);
    const started = Date.now();
    // maxWaitMs short: a build that fails to take it gives up with an error rather than waiting 10 minutes.
    const ran = await withDirLock(lock, { ...opts(), maxWaitMs: 2_000 }, async () => lockOwner(lock).pid);
    assert.equal(ran, process.pid);
    assert.ok(Date.now() - started < 1_000, `took ${Date.now() - started} ms`);
    assert.deepEqual(said, []);
  });

  it("a lock with no pid yet is waited for until it is a minute old, then taken over", async () => {
    pidlessLock(59);
    const started = Date.now();
    const ran = await withDirLock(
      lock,
      { ...opts(), maxWaitMs: 5_000, pollMs: 50 },
      async () => lockOwner(lock).pid,
    );
    assert.equal(ran, process.pid);
    const took = Date.now() - started;
    assert.ok(took >= 900 && took < 3_000, `took ${took} ms`);
    assert.deepEqual(said, [
      `waiting for another image build (its owner not written yet) to finish: ${lock}`,
    ]);
  });

  it("builds of several processes meeting one dead owner's lock hold it one at a time", async () => {
    pidlessLock(90);
    const journal = join(dir, "journal");
    const code = `
      const { appendFileSync } = require("node:fs");
      const { withDirLock } = require("./images/dirLock");
      withDirLock(${JSON.stringify(lock)}, { what: "image build", pollMs: 10 }, async () => {
        appendFileSync(${JSON.stringify(journal)}, "in\\n");
        await new Promise((r) => setTimeout(r, 50));
        appendFileSync(${JSON.stringify(journal)}, "out\\n");
      });`;
    const builds = [1, 2, 3, 4].map(() => {
      const child = spawn(process.execPath, ["--require", "tsx/cjs", "-e", code], {
        cwd: REPO_ROOT,
        stdio: ["ignore", "ignore", "pipe"],
      });
      return new Promise<number | null>((resolve) => child.on("exit", resolve));
    });
    assert.deepEqual(await Promise.all(builds), [0, 0, 0, 0]);
    assert.equal(readFileSync(journal, "utf8"), "in\nout\n".repeat(4));
    assert.ok(!existsSync(lock) && !existsSync(`${lock}.takeover`));
  });

  it("the builds of one process take the lock in turn, never at once, and never wait on themselves", async () => {
    let inside = 0;
    const order: number[] = [];
    await Promise.all(
      [1, 2, 3].map((n) =>
        withDirLock(lock, opts(), async () => {
          inside += 1;
          assert.equal(inside, 1, "two builds held the lock at once");
          await new Promise((r) => setTimeout(r, 50));
          order.push(n);
          inside -= 1;
        }),
      ),
    );
    assert.deepEqual(order, [1, 2, 3]);
    assert.deepEqual(said, []);
  });

  it("a build that fails releases the lock for the next one", async () => {
    await assert.rejects(
      withDirLock(lock, opts(), async () => {
        throw new Error("docker build failed");
      }),
      /docker build failed/,
    );
    assert.ok(!existsSync(lock));
    assert.equal(await withDirLock(lock, opts(), async () => "next"), "next");
  });

  it("a holder on another machine sharing the folder is waited for, then given up on with a clear error", async () => {
    mkdirSync(lock, { recursive: true });
    writeFileSync(join(lock, "host"), "another-machine\n");
    writeFileSync(join(lock, "pid"), "1234\n");
    await assert.rejects(
      withDirLock(lock, { ...opts(), maxWaitMs: 300, pollMs: 50 }, async () => undefined),
      /another image build \(pid 1234 on another-machine\) has held .* for over 0 s; if it is not running, remove that folder/,
    );
    assert.equal(readFileSync(join(lock, "pid"), "utf8"), "1234\n", "not taken over");
  });

  it("a holder on another machine is never taken over, however old its lock", async () => {
    mkdirSync(lock, { recursive: true });
    writeFileSync(join(lock, "host"), "another-machine\n");
    writeFileSync(join(lock, "pid"), "1234\n");
    const then = Date.now() / 1000 - 3_600;
    for (const path of [join(lock, "host"), join(lock, "pid"), lock]) utimesSync(path, then, then);
    await assert.rejects(
      withDirLock(lock, { ...opts(), maxWaitMs: 300, pollMs: 50 }, async () => undefined),
      /another image build \(pid 1234 on another-machine\) has held/,
    );
    assert.equal(readFileSync(join(lock, "pid"), "utf8"), "1234\n", "not taken over");
  });

  it("knows a running process's start, and that a pid with no process has none", () => {
    assert.match(processStarted(process.pid) ?? "", /\S/);
    assert.equal(processStarted(2 ** 22 + 1), undefined);
  });
});
