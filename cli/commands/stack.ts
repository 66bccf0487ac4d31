import type { Command } from "commander";

export function registerStackCommand(program: Command): void {
  program
    .command("stack")
    .description("run the whole system on this machine (up|down|status)")
    .action(() => {
      throw new Error("`ecssd stack` is not implemented yet");
    });
}
