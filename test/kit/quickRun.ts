// `npm run test:quick` runs every test file but those test/kit/needsEngine.json lists, with no Docker
// engine, no moto and no browser reachable, so a test that starts needing one fails there, saying where
// to list it, instead of quietly using the machine's.

const QUICK_RUN = "ECSSD_TEST_QUICK_RUN";
const LIST = "test/kit/needsEngine.json";

/** Makes this process and its children a quick run (test/kit/quickRunSetup.ts, loaded first by mocha). */
export function enterQuickRun(): void {
  process.env[QUICK_RUN] = "1";
  // The docker CLI and dockerode both read DOCKER_HOST; the socket's name is the hint in their error.
  process.env.DOCKER_HOST = `unix:///nonexistent/quick-run-has-no-docker-engine-list-the-test-in-${LIST.replaceAll("/", "-")}`;
}

/** Throws in a quick run: `what` (moto's server, Chromium) is not there. */
export function refuseInQuickRun(what: string): void {
  if (process.env[QUICK_RUN])
    throw new Error(
      `this test needs ${what}, which \`npm run test:quick\` leaves out: list its file in ${LIST}`,
    );
}
