import * as pulumi from "@pulumi/pulumi";

/** Resolves with an Output's value (tests run with known values: never in preview). */
export function promiseOf<T>(output: pulumi.Input<T>): Promise<T> {
  return new Promise((resolve) => pulumi.output(output).apply((v) => resolve(v as T)));
}

/** Settles as the Output does: rejects when it failed (promiseOf would wait forever). */
export function settled<T>(output: pulumi.Output<T>): Promise<T> {
  // Output's own promise is not in its typings, but is what `pulumi up` awaits.
  return (output as unknown as { promise(): Promise<T> }).promise();
}
