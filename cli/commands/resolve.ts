import type { Command } from "commander";

export function registerResolveCommand(program: Command): void {
  program
    .command("resolve")
    .description("look up a service's SRV records as a consumer would")
    .action(() => {
      throw new Error("`ecssd resolve` is not implemented yet");
    });
}
