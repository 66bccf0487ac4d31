// scripts/lib/lock.sh where flock is missing (macOS): the lock folder, as the prepare scripts hold it. A
// script's own clean-up must not drop its lock's release, a killed holder's lock (or one whose pid another
// process now has) is taken over at once, one whose owner never wrote its pid once a minute old, and a live
// holder is waited for and named.
import { strict as assert } from "node:assert";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { killGroup, pathWithout, startSourced, until } from "./prepareScripts";

/** Runs `body` in bash after sourcing lock.sh, as the prepare scripts do. */
const bash = (body: string, env: NodeJS.ProcessEnv) => startSourced(["lock"], body, [], env);

describe("scripts/lib/lock.sh without flock (the lock folder)", () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let lock: string;

  before(() => {
    pathWithout(["flock"]);
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "ecssd-lockdir-"));
    env = { ...process.env, PATH: pathWithout(["flock"]), ECSSD_MACHINE_LOCK_DIR: join(dir, "machine") };
    lock = join(dir, "thing.lock");
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const hold = (then = "") => `hold_lock ${JSON.stringify(lock)} "the thing"\n${then}`;
  const lockFolders = () => readdirSync(dir).filter((name) => name.endsWith(".lock.d"));

  it("is released at exit even when the script registers a clean-up of its own after taking it", async () => {
    const marker = join(dir, "cleaned");
    const run = await bash(hold(`on_exit ${JSON.stringify(`touch ${marker}`)}\ntest -d ${lock}.d`), env).done;
    assert.equal(run.code, 0, run.stderr);
    assert.ok(existsSync(marker), "the script's own clean-up ran");
    assert.deepEqual(lockFolders(), []);
  });

  it("is released when the script fails, and the failure's status is kept", async () => {
    const run = await bash(hold("false"), env).done;
    assert.equal(run.code, 1);
    assert.deepEqual(lockFolders(), []);
  });

  it("held in a subshell, is released when the subshell ends, and the script's own lock is kept", async () => {
    const inner = join(dir, "inner.lock");
    const run = await bash(
      hold(
        `( hold_lock ${inner} inner; test -d ${inner}.d )\ntest ! -e ${inner}.d\ntest -d ${lock}.d\necho kept`,
      ),
      env,
    ).done;
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout.trim(), "kept");
    assert.deepEqual(lockFolders(), []);
  });

  it("records its owner's pid, machine and start", async () => {
    const run = await bash(hold(`cat ${lock}.d/pid ${lock}.d/host ${lock}.d/started; echo "$$"`), env).done;
    assert.equal(run.code, 0, run.stderr);
    const [pid, host, started, shell] = run.stdout.trim().split("\n");
    assert.equal(pid, shell);
    assert.equal(host, hostname());
    assert.match(started ?? "", /\S/);
  });

  it("a holder killed with SIGKILL leaves a lock the next run takes over at once, without waiting", async () => {
    const first = bash(hold("sleep 60"), env);
    await until("the first run to hold the lock", 5_000, () => existsSync(join(`${lock}.d`, "pid")));
    killGroup(first.child);
    await first.done;
    assert.deepEqual(lockFolders(), ["thing.lock.d"], "SIGKILL leaves the folder: what the next run meets");

    const started = Date.now();
    const next = await bash(hold(), env).done;
    assert.equal(next.code, 0, next.stderr);
    assert.doesNotMatch(next.stderr, /waiting/);
    assert.ok(Date.now() - started < 2_000, `took ${Date.now() - started} ms`);
    assert.deepEqual(lockFolders(), []);
  });

  it("a lock whose pid now belongs to another process (started at another time) is taken over at once", async () => {
    // This test's own process stands for the unrelated process that was given the dead owner's pid.
    mkdirSync(`${lock}.d`);
    writeFileSync(join(`${lock}.d`, "host"), `${hostname()}\n`);
    writeFileSync(join(`${lock}.d`, "started"), "1\n");
    writeFileSync(join(`${lock}.d`, "pid"), `${process.pid}\n`);
    const next = await bash(hold(), env).done;
    assert.equal(next.code, 0, next.stderr);
    assert.doesNotMatch(next.stderr, /waiting/);
    assert.deepEqual(lockFolders(), []);
  });

  /** Waits up to `ms` for a run to end; kills it (failing the test) if it is still waiting then. */
  async function endsWithin(run: ReturnType<typeof bash>, ms: number) {
    const timer = setTimeout(() => killGroup(run.child), ms);
    const done = await run.done;
    clearTimeout(timer);
    assert.equal(done.code, 0, `still waiting after ${ms} ms, or failed: ${done.stderr}`);
    return done;
  }

  /** A lock folder as an owner killed after writing `host` but before its pid leaves it, made `ageS` ago. */
  function pidlessLock(ageS: number): void {
    mkdirSync(`${lock}.d`);
    writeFileSync(join(`${lock}.d`, "host"), `${hostname()}\n`);
    const then = Date.now() / 1000 - ageS;
    utimesSync(`${lock}.d`, then, then);
  }

  it("a lock whose owner was killed before writing its pid is taken over at once when over a minute old", async () => {
    pidlessLock(90);
    const started = Date.now();
    const next = await endsWithin(bash(hold(), env), 5_000);
    assert.doesNotMatch(next.stderr, /waiting/);
    assert.ok(Date.now() - started < 2_000, `took ${Date.now() - started} ms`);
    assert.deepEqual(lockFolders(), []);
    assert.ok(!existsSync(`${lock}.d.takeover`));
  });

  it("a lock with no pid yet is waited for until it is a minute old, then taken over", async () => {
    pidlessLock(58);
    const started = Date.now();
    const next = await endsWithin(bash(hold(), env), 8_000);
    assert.ok(Date.now() - started >= 1_500, `took ${Date.now() - started} ms: not waited for`);
    assert.deepEqual(next.stderr.match(/\[setup\] waiting for another run.*/g), [
      "[setup] waiting for another run (owner not written yet) that is preparing the thing",
    ]);
    assert.deepEqual(lockFolders(), []);
  });

  it("runs meeting one dead owner's lock at once hold it one at a time", async () => {
    pidlessLock(90);
    const journal = join(dir, "journal");
    const body = hold(`echo in >>${journal}; sleep 0.2; echo out >>${journal}`);
    const runs = await Promise.all([1, 2, 3].map(() => endsWithin(bash(body, env), 10_000)));
    assert.equal(runs.length, 3);
    assert.equal(readFileSync(journal, "utf8"), "in\nout\n".repeat(3));
    assert.deepEqual(lockFolders(), []);
    assert.ok(!existsSync(`${lock}.d.takeover`));
  });

  it("a `takeover` left beside a dead owner's lock by a run killed in it is removed once a minute old", async () => {
    mkdirSync(`${lock}.d`);
    writeFileSync(join(`${lock}.d`, "host"), `${hostname()}\n`);
    writeFileSync(join(`${lock}.d`, "pid"), `${2 ** 22 + 1}\n`);
    mkdirSync(`${lock}.d.takeover`);
    const then = Date.now() / 1000 - 90;
    utimesSync(`${lock}.d.takeover`, then, then);
    await endsWithin(bash(hold(), env), 5_000);
    assert.ok(!existsSync(`${lock}.d`) && !existsSync(`${lock}.d.takeover`));
  });

  it("a live holder is waited for, named once, and the lock is taken when it exits", async () => {
    const first = bash(hold("sleep 1.5"), env);
    await until("the first run to hold the lock", 5_000, () => existsSync(join(`${lock}.d`, "pid")));
    const holder = readFileSync(join(`${lock}.d`, "pid"), "utf8").trim();
    const next = await bash(hold(), env).done;
    assert.equal((await first.done).code, 0);
    assert.equal(next.code, 0, next.stderr);
    assert.deepEqual(next.stderr.match(/\[setup\] waiting for another run.*/g), [
      `[setup] waiting for another run (pid ${holder}) that is preparing the thing`,
    ]);
    assert.deepEqual(lockFolders(), []);
  });

  it("a lock made on another machine sharing the folder is waited for, not taken", async () => {
    mkdirSync(`${lock}.d`);
    writeFileSync(join(`${lock}.d`, "host"), "another-machine\n");
    writeFileSync(join(`${lock}.d`, "pid"), "1\n");
    const next = bash(hold(), env);
    await new Promise((r) => setTimeout(r, 1_500));
    assert.equal(next.child.exitCode, null, "it must still be waiting");
    killGroup(next.child);
    assert.match((await next.done).stderr, /waiting for another run \(pid 1 on another-machine\)/);
  });

  it("machine-wide locks go where ECSSD_MACHINE_LOCK_DIR says", async () => {
    const run = await bash(
      'machine_lock_dir; hold_lock "$(machine_lock_dir)/x.lock" x; ls "$(machine_lock_dir)"',
      env,
    ).done;
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.stdout.trim().split("\n"), [join(dir, "machine"), "x.lock.d"]);
  });
});
