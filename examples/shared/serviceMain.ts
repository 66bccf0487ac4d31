// The start-up sequence every example process shares: config from the environment (a clear message
// and exit 1 when it cannot work), logger, identity, server, graceful stop on SIGTERM.
import { BasicAuth } from "./basicAuth";
import { identity } from "./containerIdentity";
import { type HttpService, type Route, runUntilSignalled, startHttpService } from "./httpService";
import { createLogger } from "./logger";
import { ConfigError, readServiceConfig, type ServiceConfig } from "./serviceConfig";

export interface ServiceMainOptions {
  readonly name: string;
  readonly defaultPort: number;
  /** The routes, built once the configuration is known (the portal passes the credentials upstream). */
  readonly routes: (config: ServiceConfig) => readonly Route[];
  /** Whether the routes ask callers for the credentials (time, calc) or only use them upstream (portal). */
  readonly protectRoutes: boolean;
}

/** Starts the service from `process.env`; on a configuration problem prints it and exits 1. */
export async function serviceMain(opts: ServiceMainOptions): Promise<HttpService> {
  const logger = createLogger(opts.name);
  let config: ServiceConfig;
  let routes: readonly Route[];
  try {
    config = readServiceConfig(process.env, { port: opts.defaultPort });
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
    ...(opts.protectRoutes ? { auth: new BasicAuth(config.auth.username, config.auth.password) } : {}),
  });
  logger.info({ port: service.port, drainMs: config.drainMs }, "listening");
  runUntilSignalled(service, config.drainMs, logger);
  return service;
}
