// The agent's command line, shared by `ecssd agent` and the image's entry point (agent/main.ts): run the host agent; `agent sync` converges once; `agent remove` deletes this host's records.
import type { Command } from "commander";
import { settingHelp } from "../settings/settingsTable";
import { type AgentConfig, type ConfigKey, loadAgentConfig, SETTINGS } from "./config";
import { removeHostRecords, startHostAgent, syncHostOnce } from "./hostAgent";
import { logger } from "./logger";

function withSettings(cmd: Command): Command {
  for (const key of Object.keys(SETTINGS) as ConfigKey[]) {
    cmd.option(`${SETTINGS[key].flag} <value>`, `${settingHelp(SETTINGS[key])} [${SETTINGS[key].env}]`);
  }
  return cmd;
}

function config(flags: Record<string, string | undefined>): AgentConfig {
  return loadAgentConfig(process.env, flags as Partial<Record<ConfigKey, string>>);
}

/** The agent's commands on `parent` (the `ecssd` program, or the image's own entry point). */
export function addAgentCommands(cmd: Command): Command {
  withSettings(cmd).action(async (flags: Record<string, string | undefined>) => {
    const handle = await startHostAgent(config(flags), { log: logger });
    await new Promise<void>((resolve) => {
      const onSignal = (signal: string) => {
        logger.info({ action: "signal", signal }, "stopping: flushing pending changes");
        void handle.stop().then(resolve);
      };
      process.once("SIGTERM", () => onSignal("SIGTERM"));
      process.once("SIGINT", () => onSignal("SIGINT"));
    });
    process.exit(0);
  });
  withSettings(cmd.command("sync").description("converge this host's records once and exit")).action(
    async (flags: Record<string, string | undefined>) => {
      const result = await syncHostOnce(config(flags), { log: logger });
      logger.info({ action: "sync", ...result }, "sync finished");
      process.exit(result.converged ? 0 : 1);
    },
  );
  withSettings(cmd.command("remove").description("delete every record of this host (host shutdown)")).action(
    async (flags: Record<string, string | undefined>) => {
      const result = await removeHostRecords(config(flags), { log: logger });
      logger.info({ action: "remove", ...result }, "remove finished");
      process.exit(result.converged ? 0 : 1);
    },
  );
  return cmd;
}
