// Entry point of the agent's container image: `node agent.js [sync|remove] [--flags]`.
import { Command } from "commander";
import { addAgentCommands } from "./commands";

const program = addAgentCommands(
  new Command("ecssd-agent").description("keep the zone equal to the containers running on this host"),
);
program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`ecssd-agent: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
