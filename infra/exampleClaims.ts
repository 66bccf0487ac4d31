// The examples' task-definition families and the service names they claim: pure, so that the Pulumi program
// and the local stack (which runs the same examples under the same families) derive both from one place.
import { EXAMPLE_NAMES, type ExampleName, exampleService } from "../examples/manifest";
import { stackScopedName } from "./names";

/** The task-definition family of an example (or of its Fargate variant) in this stack. */
export function exampleFamily(project: string, stack: string, example: ExampleName, fargate = false): string {
  return stackScopedName(project, stack, fargate ? `${example}-fargate` : example);
}

/**
 * The examples' claims, declared in ECSSD_SERVICE_OWNERS by default: each SRV name an example offers, to the
 * families of its task definitions (the Fargate variant's too). No other task can join their pools.
 */
export function exampleServiceOwners(project: string, stack: string): Record<string, string[]> {
  const owners: Record<string, string[]> = {};
  for (const example of EXAMPLE_NAMES) {
    const spec = exampleService(example);
    if (spec.offers === undefined) continue;
    owners[spec.offers] = [
      exampleFamily(project, stack, example),
      ...(spec.fargateCount ? [exampleFamily(project, stack, example, true)] : []),
    ];
  }
  return owners;
}
