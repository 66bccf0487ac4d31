// The image's own HEALTHCHECK (`node /app/main.js --probe /health`): asks the running service on the port
// it reads as it would (PORT, else its manifest port), so no Dockerfile has to repeat that port.

/** Exit code of a Docker health check: 0 when `path` answers 200 on loopback within 2 s, else 1. */
export async function probeHealth(port: number, path: string): Promise<0 | 1> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2000) });
    await res.body?.cancel();
    return res.status === 200 ? 0 : 1;
  } catch {
    return 1;
  }
}

/** The path after `--probe` on a command line, or undefined when the process is to serve. */
export function probePath(argv: readonly string[]): string | undefined {
  const at = argv.indexOf("--probe");
  if (at < 0) return undefined;
  const path = argv[at + 1] ?? "";
  // A path, never a URL: the probe only ever asks its own container.
  return path.startsWith("/") ? path : "/";
}
