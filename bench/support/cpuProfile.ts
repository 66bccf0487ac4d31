// A CPU profile of this process while something runs, summarised as the functions that used the most
// time themselves: where a benchmark's time goes, without leaving the benchmark.
import fs from "node:fs";
import { Session } from "node:inspector/promises";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

/** One line of the summary. */
export interface HotFunction {
  readonly name: string;
  readonly where: string;
  readonly selfPercent: number;
}

/**
 * Profile this process (with V8's sampling profiler) while `work` runs, write the full profile to
 * `outFile` (open it in Chrome DevTools), and return the `top` functions by self time.
 */
export async function profileWhile(
  work: () => Promise<unknown>,
  outFile: string,
  top = 15,
): Promise<HotFunction[]> {
  const session = new Session();
  session.connect();
  try {
    await session.post("Profiler.enable");
    await session.post("Profiler.start");
    let failure: unknown;
    try {
      await work();
    } catch (err) {
      failure = err;
    }
    const { profile } = await session.post("Profiler.stop");
    if (failure !== undefined) throw failure;
    fs.writeFileSync(outFile, JSON.stringify(profile));
    return summarize(profile.nodes as ProfileNode[], top);
  } finally {
    session.disconnect();
  }
}

function summarize(nodes: readonly ProfileNode[], top: number): HotFunction[] {
  const total = nodes.reduce((n, node) => n + (node.hitCount ?? 0), 0) || 1;
  const byFunction = new Map<string, { name: string; where: string; hits: number }>();
  for (const node of nodes) {
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url
      ? `${url.replace(/^file:\/\//, "").replace(`${process.cwd()}/`, "")}:${lineNumber + 1}`
      : "";
    const key = `${functionName}@${where}`;
    const entry = byFunction.get(key) ?? { name: functionName || "(anonymous)", where, hits: 0 };
    entry.hits += node.hitCount ?? 0;
    byFunction.set(key, entry);
  }
  return [...byFunction.values()]
    .sort((a, b) => b.hits - a.hits)
    .slice(0, top)
    .map((e) => ({ name: e.name, where: e.where, selfPercent: (100 * e.hits) / total }));
}
