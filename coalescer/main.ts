// Entry point of the coalescer's container image: `node main.js`, settings from the environment.
import { Command } from "commander";
import { coalescerCommand } from "../cli/commands/coalescer";

coalescerCommand(new Command("ecssd-coalescer"))
  .parseAsync(process.argv)
  .catch((err: unknown) => {
    process.stderr.write(`ecssd-coalescer: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
