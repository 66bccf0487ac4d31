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

/**
 * The capacity provider's name. ECS refuses names that begin with "aws", "ecs" or "fargate", which
 * rules out the usual `ecssd-...` auto-name, so it is set explicitly and scoped by project and stack.
 *
 * @example capacityProviderName("ecssd", "dev") // "cp-ecssd-dev"
 */
export function capacityProviderName(project: string, stack: string): string {
  const name = `cp-${project}-${stack}`.replace(/[^A-Za-z0-9_-]/g, "-");
  if (/^(aws|ecs|fargate)/i.test(name) || name.length > 255) {
    throw new Error(`capacityProviderName: "${name}" is not a name ECS accepts`);
  }
  return name;
}
