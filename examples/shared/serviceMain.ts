// The start-up sequence every example process shares: config from the environment (a clear message
// and exit 1 when it cannot work), logger, identity, server, graceful stop on SIGTERM.
import { BasicAuth } from "./basicAuth";
import { identity } from "./containerIdentity";
import { type HttpService, type Route, runUntilSignalled, startHttpService } from "./httpService";
import { createLogger } from "./logger";
import { ConfigError, readServiceConfig } from "./serviceConfig";

export interface ServiceMainOptions {
  readonly name: string;
  readonly defaultPort: number;
  readonly routes: readonly Route[];
  /** Time and calc require credentials; the portal's page is open. */
  readonly requireAuth: boolean;
}

/** Starts the service from `process.env`; on a configuration problem prints it and exits 1. */
export async function serviceMain(opts: ServiceMainOptions): Promise<HttpService> {
  const logger = createLogger(opts.name);
  let config: ReturnType<typeof readServiceConfig>;
  try {
    config = readServiceConfig(process.env, { port: opts.defaultPort }, { requireAuth: opts.requireAuth });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${opts.name}: ${err.message}\n`);
    process.exit(1);
  }
  const service = await startHttpService(config.port, {
    name: opts.name,
    routes: opts.routes,
    logger,
    identity: identity(),
    ...(opts.requireAuth ? { auth: new BasicAuth(config.auth.username, config.auth.password) } : {}),
  });
  logger.info({ port: service.port, drainMs: config.drainMs }, "listening");
  runUntilSignalled(service, config.drainMs, logger);
  return service;
}
