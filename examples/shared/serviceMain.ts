// The start-up sequence every example process shares: config from the environment (a clear message
// and exit 1 when it cannot work), logger, identity, server, graceful stop on SIGTERM. The default port
// and the auth role come from the manifest (examples/manifest.ts), as they do for ECS and the local stack.
import { type ExampleName, exampleService } from "../manifest";
import { BasicAuth } from "./basicAuth";
import { identity } from "./containerIdentity";
import { probeHealth, probePath } from "./healthProbe";
import { type HttpService, type Route, runUntilSignalled, startHttpService } from "./httpService";
import { createLogger } from "./logger";
import { ConfigError, readPort, readServiceConfig, type ServiceConfig } from "./serviceConfig";

export interface ServiceMainOptions {
  /** Its entry in the manifest: the default port and whether its routes ask for the credentials. */
  readonly name: ExampleName;
  /** The routes, built once the configuration is known (the portal passes the credentials upstream). */
  readonly routes: (config: ServiceConfig) => readonly Route[];
}

/**
 * Starts the service from `process.env`; on a configuration problem prints it and exits 1. With
 * `--probe <path>` on the command line it is the image's health check instead: exit 0 when the running
 * service answers 200 on that path.
 */
export async function serviceMain(opts: ServiceMainOptions): Promise<HttpService | undefined> {
  const manifest = exampleService(opts.name);
  const defaults = { port: manifest.containerPort };
  const probe = probePath(process.argv);
  if (probe !== undefined) {
    let port: number;
    try {
      port = readPort(process.env, defaults);
    } catch {
      process.exit(1);
    }
    process.exit(await probeHealth(port, probe));
  }
  const logger = createLogger(opts.name);
  let config: ServiceConfig;
  let routes: readonly Route[];
  try {
    config = readServiceConfig(process.env, defaults);
    routes = opts.routes(config);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${opts.name}: ${err.message}\n`);
    process.exit(1);
  }
  const service = await startHttpService(config.port, {
    name: opts.name,
    routes,
    logger,
    identity: identity(),
    ...(config.listenAddress !== undefined && { listenAddress: config.listenAddress }),
    ...(manifest.basicAuth === "asks"
      ? { auth: new BasicAuth(config.auth.username, config.auth.password) }
      : {}),
  });
  logger.info(
    { address: config.listenAddress ?? "*", port: service.port, drainMs: config.drainMs },
    "listening",
  );
  runUntilSignalled(service, config.drainMs, logger);
  return service;
}
