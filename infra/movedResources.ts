import type * as pulumi from "@pulumi/pulumi";

/**
 * Options for a child of a component split out of its own parent (as the examples' load balancer and secrets
 * were split out of ExampleServices): the child is created under `component`, and its alias names the URN it
 * had as a child of `component`'s parent, so a stack that holds it moves it instead of replacing it. Without a
 * parent the component is new, and so is every child.
 */
export function childMovedInto(
  component: pulumi.Resource,
  opts: pulumi.ComponentResourceOptions | undefined,
): pulumi.CustomResourceOptions {
  return { parent: component, ...(opts?.parent && { aliases: [{ parent: opts.parent }] }) };
}
