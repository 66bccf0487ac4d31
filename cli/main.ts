// The `ecssd` command line: one entry point, one subcommand per component.
import { Command } from "commander";
import { registerAgentCommand } from "./commands/agent";
import { registerCoalescerCommand } from "./commands/coalescer";
import { registerReconcileCommand } from "./commands/reconcile";
import { registerResolveCommand } from "./commands/resolve";
import { registerStackCommand } from "./commands/stack";
import { registerStatusCommand } from "./commands/status";
import { registerTaskEventCommand } from "./commands/taskEvent";
import { registerZoneCommand } from "./commands/zone";

export function buildProgram(): Command {
  const program = new Command("ecssd")
    .description("DNS-based service discovery for containers on AWS ECS")
    .showHelpAfterError()
    .enablePositionalOptions();
  registerZoneCommand(program);
  registerAgentCommand(program);
  registerCoalescerCommand(program);
  registerReconcileCommand(program);
  registerTaskEventCommand(program);
  registerResolveCommand(program);
  registerStackCommand(program);
  registerStatusCommand(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    process.stderr.write(`ecssd: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
