// Checks an EMF line against the specification: the JSON schema (emfSchema.json, validated with ajv), then the
// references the schema cannot express (a dimension key names a string member of 1 to 1024 characters, a metric
// name a number or up to 100 numbers).
import assert from "node:assert/strict";
import Ajv from "ajv";
import schema from "./emfSchema.json";

const validate = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(schema);

export interface EmfDocument {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit?: string }[];
    }[];
  };
  [member: string]: unknown;
}

/** Parses one line and asserts that it is an EMF document; returns it. */
export function assertEmfLine(line: string): EmfDocument {
  const doc: unknown = JSON.parse(line);
  assert.ok(validate(doc), `not EMF: ${JSON.stringify(validate.errors)}\n${line}`);
  const emf = doc as EmfDocument;
  for (const directive of emf._aws.CloudWatchMetrics) {
    for (const key of directive.Dimensions.flat()) {
      const value = emf[key];
      assert.ok(
        typeof value === "string" && value.length >= 1 && value.length <= 1024,
        `dimension ${key} is not a string member of 1 to 1024 characters`,
      );
    }
    for (const { Name } of directive.Metrics) {
      const value = emf[Name];
      const ok =
        (typeof value === "number" && Number.isFinite(value)) ||
        (Array.isArray(value) && value.length <= 100 && value.every((v) => typeof v === "number"));
      assert.ok(
        ok,
        `metric ${Name} has no number (or array of at most 100 numbers) at the root: ${String(value)}`,
      );
    }
  }
  return emf;
}

/** The metric names of a line. */
export function metricNames(doc: EmfDocument): string[] {
  return doc._aws.CloudWatchMetrics.flatMap((d) => d.Metrics.map((m) => m.Name));
}

/** The sum of a metric over lines (0 where a line lacks it). */
export function total(docs: readonly EmfDocument[], name: string): number {
  return docs.reduce((sum, d) => {
    const v = d[name];
    return (
      sum + (typeof v === "number" ? v : Array.isArray(v) ? v.reduce((a: number, b: number) => a + b, 0) : 0)
    );
  }, 0);
}

/** Collects lines written by an EmfWriter, each checked as it comes. */
export function emfSink(): { write: (line: string) => void; docs: EmfDocument[] } {
  const docs: EmfDocument[] = [];
  return { write: (line) => void docs.push(assertEmfLine(line)), docs };
}
