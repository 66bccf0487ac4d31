/** The outcome of checking an EventBridge schedule expression. */
export interface ScheduleCheck {
  /** Why EventBridge would reject the expression; undefined when it is acceptable. */
  readonly problem?: string;
}

const RATE_UNITS = ["minute", "hour", "day"] as const;

/**
 * Checks an EventBridge rule schedule expression the way EventBridge does, so a typo fails
 * validation before `pulumi up` creates half a stack: `rate(1 minute)` takes the singular unit,
 * `rate(5 minutes)` the plural, and `cron(...)` has six fields.
 *
 * @example parseScheduleExpression("rate(5 minutes)") // {}
 */
export function parseScheduleExpression(expression: string): ScheduleCheck {
  const rate = /^rate\((\d+) ([a-z]+)\)$/.exec(expression);
  if (rate) {
    const value = Number(rate[1]);
    const unit = rate[2] as string;
    const singular = unit.replace(/s$/, "");
    if (!(RATE_UNITS as readonly string[]).includes(singular)) {
      return { problem: `rate unit must be minute(s), hour(s) or day(s), got "${expression}"` };
    }
    if (value < 1) return { problem: `rate must be at least 1, got "${expression}"` };
    const expected = value === 1 ? singular : `${singular}s`;
    if (unit !== expected) {
      return { problem: `must read rate(${value} ${expected}), got "${expression}"` };
    }
    return {};
  }
  const cron = /^cron\((.*)\)$/.exec(expression);
  if (cron) {
    const fields = (cron[1] as string).trim().split(/\s+/);
    if (fields.length !== 6) {
      return { problem: `cron needs six fields (minutes hours day month weekday year), got "${expression}"` };
    }
    // EventBridge requires one of day-of-month and day-of-week to be "?".
    if (fields[2] !== "?" && fields[4] !== "?") {
      return { problem: `cron needs "?" in the day-of-month or day-of-week field, got "${expression}"` };
    }
    return {};
  }
  return {
    problem: `must be rate(<n> <unit>) or cron(<6 fields>), e.g. rate(5 minutes), got "${expression}"`,
  };
}
