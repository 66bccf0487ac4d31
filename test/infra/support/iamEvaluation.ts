// "Would AWS allow this request?", asked of the documents the program writes, by an independent, maintained IAM
// simulator (@cloud-copilot/iam-simulate) rather than an evaluator of our own: every condition operator, AWS's
// set semantics, and validation of the action, the resource ARN's shape and the condition keys against AWS's
// catalogue. A request the simulator cannot evaluate (unknown action, wrong ARN shape, a key the action does
// not support) throws, so a test cannot pass on a question AWS would never be asked.
import { runSimulation } from "@cloud-copilot/iam-simulate";
import type { PolicyDocument } from "../../../infra/policies";

/** One API request as IAM sees it. */
export interface IamRequest {
  readonly action: string;
  readonly resource: string;
  /** Condition keys of the request; multi-valued keys are arrays. */
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
}

/** The account every simulated principal and resource belongs to (the tests' ARNs use it). */
const ACCOUNT = "123456789012";

/** Whether an identity policy allows `request` for a role of the same account. */
export async function isAllowed(policy: PolicyDocument, request: IamRequest): Promise<boolean> {
  const partition = /^arn:([^:]+):/.exec(request.resource)?.[1] ?? "aws";
  return isAllowedFor(
    { principal: `arn:${partition}:iam::${ACCOUNT}:role/under-test`, policies: [policy] },
    request,
  );
}

/** A principal of the account, the identity policies attached to it, and the resource's own policy if it has one. */
export interface Asker {
  readonly principal: string;
  readonly policies: readonly unknown[];
  /** E.g. a KMS key policy: for a key, IAM policies count only where the key policy admits the account. */
  readonly resourcePolicy?: unknown;
}

/** Whether `asker` may make `request`, as AWS evaluates identity and resource policies together. */
export async function isAllowedFor(asker: Asker, request: IamRequest): Promise<boolean> {
  const response = await runSimulation(
    {
      identityPolicies: asker.policies.map((policy, i) => ({
        name: `identity-${i}`,
        policy: JSON.parse(JSON.stringify(policy)),
      })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(asker.resourcePolicy !== undefined && {
        resourcePolicy: JSON.parse(JSON.stringify(asker.resourcePolicy)),
      }),
      request: {
        principal: asker.principal,
        action: request.action,
        resource: { resource: request.resource, accountId: ACCOUNT },
        contextVariables: Object.fromEntries(
          Object.entries(request.context ?? {}).map(([k, v]) => [k, typeof v === "string" ? v : [...v]]),
        ),
      },
    },
    {},
  );
  if (response.resultType === "error") {
    throw new Error(
      `iam-simulate cannot evaluate ${request.action} on ${request.resource}: ${JSON.stringify(response.errors)}`,
    );
  }
  return response.overallResult === "Allowed";
}
