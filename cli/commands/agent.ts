// `ecssd agent`: the agent's own command line (agent/commands.ts) under the `ecssd` program.
import type { Command } from "commander";
import { addAgentCommands } from "../../agent/commands";

export function registerAgentCommand(program: Command): void {
  addAgentCommands(
    program.command("agent").description("keep the zone equal to the containers running on this host"),
  );
}
