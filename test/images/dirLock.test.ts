// images/dirLock.ts, the image builder's lock across processes, as a stopped `npm start` leaves it: a build
// killed while holding it must not hold up the next one, a live one is waited for and named once, and the
// builds of one process take it in turn without waiting on themselves.
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import fs, { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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

  it("a second waiter's takeover made inside a dead owner's folder while it is removed makes no error", async () => {
    mkdirSync(lock, { recursive: true });
    writeFileSync(join(lock, "host"), `${hostname()}\n`);
    writeFileSync(join(lock, "pid"), `${2 ** 22 + 1}\n`);
    // The race, made certain: the removal meets the other waiter's `takeover`, made after the owner's files
    // went. That waiter finds no owner and lets its `takeover` go a moment later.
    const realRm = fs.rmSync;
    let raced = false;
    let released: Promise<void> = Promise.resolve();
    fs.rmSync = ((path: fs.PathLike, options?: fs.RmOptions) => {
      if (raced || path !== lock) return realRm(path, options);
      raced = true;
      for (const name of fs.readdirSync(lock)) realRm(join(lock, name), { recursive: true });
      mkdirSync(join(lock, "takeover"));
      released = new Promise((r) =>
        setTimeout(() => r(realRm(join(lock, "takeover"), { recursive: true, force: true })), 30),
      );
      throw Object.assign(new Error(`ENOTEMPTY: directory not empty, rmdir '${lock}'`), {
        code: "ENOTEMPTY",
      });
    }) as typeof fs.rmSync;
    try {
      assert.equal(
        await withDirLock(lock, { ...opts(), pollMs: 20 }, async () => lockOwner(lock).pid),
        process.pid,
      );
    } finally {
      fs.rmSync = realRm;
    }
    await released;
    assert.ok(raced);
    assert.deepEqual(said, []);
    assert.ok(!existsSync(lock), "released after the build");
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

  it("knows a running process's start, and that a pid with no process has none", () => {
    assert.match(processStarted(process.pid) ?? "", /\S/);
    assert.equal(processStarted(2 ** 22 + 1), undefined);
  });
});
