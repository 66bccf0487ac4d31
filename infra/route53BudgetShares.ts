// The coalescer's share of the account's Route53 budget as the program takes it: an object of two shares
// (`ecssd:route53Budget`, ServiceDiscovery's `route53Budget`), checked here with every problem named, and handed
// to the coalescer as ECSSD_ROUTE53_BUDGET text.
// The default and the text are the coalescer's own (coalescer/route53Budget.ts).
import { DEFAULT_ROUTE53_BUDGET, formatRoute53Budget, type Route53Budget } from "../coalescer/route53Budget";

/** Shares of the account's Route53 rates the coalescer may use, each above 0 and at most 1. */
export type Route53BudgetShares = Readonly<Route53Budget>;

export { DEFAULT_ROUTE53_BUDGET, formatRoute53Budget };

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
