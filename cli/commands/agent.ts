import type { Command } from "commander";

export function registerAgentCommand(program: Command): void {
  program
    .command("agent")
    .description("keep the zone equal to the containers running on this host")
    .action(() => {
      throw new Error("`ecssd agent` is not implemented yet");
    });
}
