import type { Command } from "commander";

export function registerReconcileCommand(program: Command): void {
  program
    .command("reconcile")
    .description("remove records whose task or host is gone and health-check instances")
    .action(() => {
      throw new Error("`ecssd reconcile` is not implemented yet");
    });
}
