// The coalescer's share of the account's Route53 budget as the program takes it: an object of two shares
// (`ecssd:route53Budget`, ServiceDiscovery's `route53Budget`), checked here with every problem named, and handed
// to the coalescer as ECSSD_ROUTE53_BUDGET text.
//
// When the coalescer's core is merged, DEFAULT_ROUTE53_BUDGET and formatRoute53Budget come from
// coalescer/route53Budget.ts (the same default, the same text) and the two here go: each fact once.

/** Shares of the account's Route53 rates the coalescer may use, each above 0 and at most 1. */
export interface Route53BudgetShares {
  /** Of the request rate (all actions together, and per action). */
  readonly requests: number;
  /** Of the change-throughput rate (record changes; an UPSERT counts twice). */
  readonly changes: number;
}

/** Leaves the customer's own tools most of the request rate, which they spend in more, smaller requests. */
export const DEFAULT_ROUTE53_BUDGET: Route53BudgetShares = { requests: 0.4, changes: 0.6 };

const KEYS = ["requests", "changes"] as const;

/**
 * The budget given as an object (numbers, or numeric text as `pulumi config set --path` stores them), a key left
 * out taking its default, or every problem with it.
 *
 * @example route53BudgetFrom({ requests: 0.2 }) // { budget: { requests: 0.2, changes: 0.6 } }
 */
export function route53BudgetFrom(
  value: unknown,
): { readonly budget: Route53BudgetShares } | { readonly problems: readonly string[] } {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return {
      problems: [`must be an object such as {"requests": 0.4, "changes": 0.6}, got ${JSON.stringify(value)}`],
    };
  }
  const problems: string[] = [];
  for (const key of Object.keys(value)) {
    if (!(KEYS as readonly string[]).includes(key)) {
      problems.push(`has no setting "${key}" (known: ${KEYS.join(", ")})`);
    }
  }
  const budget = { ...DEFAULT_ROUTE53_BUDGET };
  for (const key of KEYS) {
    const given = (value as Record<string, unknown>)[key];
    if (given === undefined) continue;
    const share = typeof given === "string" && /^\s*[0-9.eE+-]+\s*$/.test(given) ? Number(given) : given;
    if (typeof share !== "number" || !Number.isFinite(share) || share <= 0 || share > 1) {
      problems.push(
        `${key} must be a share of the account's rate, above 0 and at most 1 (0.4 is 40%), got ${JSON.stringify(given)}`,
      );
      continue;
    }
    budget[key] = share;
  }
  return problems.length > 0 ? { problems } : { budget };
}

/** ECSSD_ROUTE53_BUDGET's text: `requests=<share>,changes=<share>`. */
export function formatRoute53Budget(budget: Route53BudgetShares): string {
  return `requests=${budget.requests},changes=${budget.changes}`;
}
