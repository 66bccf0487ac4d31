// One moto server for every reconciler test file: starting it (and warming its EC2 backend, which
// RegisterContainerInstance needs) costs seconds each time. Suites reset it; the last root hook stops it.
import { type MotoServer, startMoto } from "../../kit/moto";
import { launchInstance } from "./ecsWorld";

let shared: Promise<MotoServer> | undefined;

/** The shared moto server, started (and its EC2 backend warmed) on first use. */
export function sharedMoto(): Promise<MotoServer> {
  shared ??= startMoto().then(async (moto) => {
    await launchInstance(moto.endpoint);
    return moto;
  });
  return shared;
}

/** Stops the shared server if it was started. Safe to call more than once. */
export async function stopSharedMoto(): Promise<void> {
  const started = shared;
  shared = undefined;
  if (started) await (await started).close();
}

// A root hook: runs once after every suite of the run, whichever file registered it first.
after(stopSharedMoto);
