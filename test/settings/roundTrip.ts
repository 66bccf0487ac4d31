// The two properties that hold a component's reader and writer of the environment together.
import { strict as assert } from "node:assert";
import fc from "fast-check";
import type { SettingsTable } from "../../settings/settingsTable";
import { configOf, environmentOf } from "./settingArbitraries";

export interface Codec<C> {
  readonly table: SettingsTable<C>;
  readonly read: (env: Record<string, string>) => C;
  readonly write: (config: Partial<C>) => Record<string, string>;
  /** Rules between settings that the table alone does not state. */
  readonly valid?: (config: C) => boolean;
}

const RUNS = { numRuns: 300, seed: 2024 };

/** Mocha cases: config → env → config is the identity, and env → config → env is stable after one step. */
export function roundTripCases<C>(codec: Codec<C>): void {
  it("reads back every valid config it writes (config → env → config)", () => {
    fc.assert(
      fc.property(configOf(codec.table, codec.valid), (config) => {
        assert.deepStrictEqual(codec.read(codec.write(config)), config);
      }),
      RUNS,
    );
  });

  it("writes one environment for every spelling it reads (env → config → env is stable)", () => {
    fc.assert(
      fc.property(environmentOf(codec.table, codec.write, codec.valid), (env) => {
        const config = codec.read(env);
        const written = codec.write(config);
        assert.deepStrictEqual(codec.read(written), config);
        assert.deepStrictEqual(codec.write(codec.read(written)), written);
      }),
      RUNS,
    );
  });

  it("writes each setting under its table's variable, in the table's order", () => {
    fc.assert(
      fc.property(configOf(codec.table, codec.valid), (config) => {
        const order = Object.values<{ env: string }>(codec.table).map((s) => s.env);
        const names = Object.keys(codec.write(config));
        assert.deepStrictEqual(
          names,
          order.filter((n) => names.includes(n)),
        );
      }),
      RUNS,
    );
  });
}
