import * as pulumi from "@pulumi/pulumi";

/** Resolves with an Output's value (tests run with known values: never in preview). */
export function promiseOf<T>(output: pulumi.Input<T>): Promise<T> {
  return new Promise((resolve) => pulumi.output(output).apply((v) => resolve(v as T)));
}
