// What IAM sees of each ChangeResourceRecordSets request a client sends: the sets of actions, record types and
// names in its batch (route53:ChangeResourceRecordSetsActions, ...RecordTypes, ...NormalizedRecordNames).
import type { ChangeResourceRecordSetsCommandInput, Route53Client } from "@aws-sdk/client-route-53";

export interface ChangeRequest {
  readonly actions: readonly string[];
  readonly types: readonly string[];
  readonly names: readonly string[];
}

/** Records every ChangeResourceRecordSets attempt `client` sends from now on, in order. */
export function recordChangeRequests(client: Route53Client): ChangeRequest[] {
  const seen: ChangeRequest[] = [];
  const sorted = (values: (string | undefined)[]) => [...new Set(values.map((v) => v ?? ""))].sort();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === "ChangeResourceRecordSetsCommand") {
        const changes = (args.input as ChangeResourceRecordSetsCommandInput).ChangeBatch?.Changes ?? [];
        seen.push({
          actions: sorted(changes.map((c) => c.Action)),
          types: sorted(changes.map((c) => c.ResourceRecordSet?.Type)),
          names: sorted(changes.map((c) => c.ResourceRecordSet?.Name?.replace(/\.$/, ""))),
        });
      }
      return next(args);
    },
    { step: "initialize", name: "recordChangeRequests" },
  );
  return seen;
}
