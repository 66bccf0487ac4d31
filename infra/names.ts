/**
 * Names AWS requires to be unique per account and region, for things Pulumi cannot auto-name
 * (task definition families, SSM parameter paths): scoped by project and stack so several stacks
 * can share an account.
 *
 * @example stackScopedName("ecssd", "dev", "agent") // "ecssd-dev-agent"
 */
export function stackScopedName(project: string, stack: string, name: string): string {
  const result = `${project}-${stack}-${name}`.replace(/[^A-Za-z0-9_-]/g, "-");
  // Task definition families allow 255 characters; keep well inside every limit we feed.
  if (result.length > 128) throw new Error(`stackScopedName: "${result}" is longer than 128 characters`);
  return result;
}

/**
 * The SSM parameter path of one stack secret, e.g. `/ecssd/dev/examples/password`.
 *
 * @example secretParameterPath("ecssd", "dev", "examples/password")
 */
export function secretParameterPath(project: string, stack: string, leaf: string): string {
  for (const part of [project, stack, ...leaf.split("/")]) {
    if (!/^[A-Za-z0-9_.-]+$/.test(part))
      throw new Error(`secretParameterPath: invalid path segment "${part}"`);
  }
  return `/${project}/${stack}/${leaf}`;
}
