// A component's settings as one table: each setting's environment variable, default, range and meaning, and
// how its value is read from and written to text. The reader of the environment (`xConfigFromEnv`) and its
// writer (`xEnvironment`, used by infra/, the local stack and the benches) both walk the table, so they
// cannot drift apart. Hand-written rather than a library: it is small and central, and the environment
// libraries (envalid, convict) read an environment but do not write one.

/** A setting's value read from text, or why the text is not one (without the variable's name). */
export type Parsed<T> = { readonly value: T } | { readonly problems: readonly string[] };

/** One setting: where it lives, what it means, and its codec. */
export interface Setting<T> {
  /** The environment variable. */
  readonly env: string;
  /** What it does, for help texts and docs. */
  readonly meaning: string;
  /** The value when unset; without one, an unset setting is absent from the config. */
  readonly default?: T;
  /** What leaving it unset means, when there is no default. */
  readonly unset?: string;
  /** The inclusive bounds of a number. */
  readonly range?: { readonly min: number; readonly max: number };
  /** Reads trimmed text (flags may pass an empty one). */
  parse(text: string): Parsed<T>;
  /** Writes a value so that `parse` reads it back equal; throws for a value no reader would accept. */
  format(value: T): string;
}

/** A component's table: one setting per config field, in the order problems are reported and variables written. */
export type SettingsTable<C> = { readonly [K in keyof C]-?: Setting<NonNullable<C[K]>> };

/** The text of one setting and where it came from (its variable, or a flag). */
export interface SettingText {
  readonly text: string;
  readonly source: string;
}

/**
 * Reads every setting of `table` that `lookup` finds, and the defaults of the others. Each problem is named
 * `[source] ...`, in table order; the caller adds rules between settings and throws its own error.
 */
export function readSettings<C>(
  table: SettingsTable<C>,
  lookup: (key: keyof C & string, setting: Setting<unknown>) => SettingText | undefined,
): { values: Partial<C>; problems: string[] } {
  const values: Partial<C> = {};
  const problems: string[] = [];
  for (const key of Object.keys(table) as (keyof C & string)[]) {
    const setting = table[key] as Setting<unknown>;
    const found = lookup(key, setting);
    if (found === undefined) {
      if (setting.default !== undefined) values[key] = setting.default as C[typeof key];
      continue;
    }
    const parsed = setting.parse(found.text);
    if ("value" in parsed) values[key] = parsed.value as C[typeof key];
    else for (const p of parsed.problems) problems.push(`[${found.source}] ${p}`);
  }
  return { values, problems };
}

/** An environment's text of a setting: trimmed, and unset when empty. */
export function fromEnvironment(
  env: Readonly<Record<string, string | undefined>>,
): (key: string, setting: Setting<unknown>) => SettingText | undefined {
  return (_key, setting) => {
    const text = env[setting.env]?.trim();
    return text === undefined || text === "" ? undefined : { text, source: setting.env };
  };
}

/**
 * The environment that carries `values`: one variable per given setting, in table order (a list that writes
 * as empty text is left out, as its reader takes unset). Throws when a value is one its reader would refuse,
 * so no writer can deploy a setting that fails only when the component starts.
 */
export function writeSettings<C>(table: SettingsTable<C>, values: Partial<C>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of Object.keys(table) as (keyof C & string)[]) {
    const value = values[key];
    if (value === undefined) continue;
    const setting = table[key] as Setting<unknown>;
    const text = setting.format(value);
    if (text === "") continue;
    const back = setting.parse(text);
    if ("problems" in back) throw new Error(`cannot write [${setting.env}]: ${back.problems.join("; ")}`);
    env[setting.env] = text;
  }
  return env;
}

/** The defaults of a table, by key. */
export function defaultsOf<C>(table: SettingsTable<C>): Partial<C> {
  const out: Partial<C> = {};
  for (const key of Object.keys(table) as (keyof C)[]) {
    const d = (table[key] as Setting<unknown>).default;
    if (d !== undefined) out[key] = d as C[keyof C];
  }
  return out;
}

/** One setting's value from its text (a JSON setting handed through Pulumi, say); throws naming every problem. */
export function settingValue<T>(setting: Setting<T>, text: string): T {
  const parsed = setting.parse(text.trim());
  if ("problems" in parsed) throw new Error(`[${setting.env}] ${parsed.problems.join("; ")}`);
  return parsed.value;
}

/** A default as the environment (and Pulumi config) writes it. */
export function defaultText<T>(setting: Setting<T>): string {
  if (setting.default === undefined) throw new Error(`${setting.env} has no default`);
  return setting.format(setting.default);
}

/** A setting's meaning with its default, or what unset means: `checks in flight (default 64)`. */
export function settingHelp(setting: Setting<unknown>): string {
  const dflt = setting.default !== undefined ? defaultText(setting) : "";
  const when = dflt !== "" ? `default ${dflt}` : setting.unset && `unset: ${setting.unset}`;
  return when ? `${setting.meaning} (${when})` : setting.meaning;
}

/** One line per setting for a command's help: `NAME  meaning (default x)`. */
export function settingsHelp<C>(table: SettingsTable<C>): string {
  const settings = Object.values<Setting<unknown>>(table);
  const width = Math.max(...settings.map((s) => s.env.length));
  return settings.map((s) => `  ${s.env.padEnd(width)}  ${settingHelp(s)}`).join("\n");
}

// Codecs of the common kinds.

/** A whole number within `range`. */
export function integerCodec<const R extends { readonly min: number; readonly max: number }>(
  range: R,
): Pick<Setting<number>, "parse" | "format"> & { readonly range: R } {
  const { min, max } = range;
  return {
    range,
    parse: (text) =>
      /^[0-9]+$/.test(text) && Number(text) >= min && Number(text) <= max
        ? { value: Number(text) }
        : { problems: [`must be an integer from ${min} to ${max}, not "${text}"`] },
    format: (value) => {
      if (!Number.isInteger(value) || value < min || value > max)
        throw new Error(`${value} is not an integer from ${min} to ${max}`);
      return String(value);
    },
  };
}

/** `true`/`1`/`yes` or `false`/`0`/`no`, in any case; written as `true` or `false`. */
export const booleanCodec: Pick<Setting<boolean>, "parse" | "format"> = {
  parse: (text) => {
    const lowered = text.toLowerCase();
    if (["true", "1", "yes"].includes(lowered)) return { value: true };
    if (["false", "0", "no"].includes(lowered)) return { value: false };
    return { problems: [`must be true or false, not "${text}"`] };
  },
  format: (value) => String(value),
};

/** One of a few words, exactly. */
export function choiceCodec<T extends string>(choices: readonly T[]): Pick<Setting<T>, "parse" | "format"> {
  const listed = choices.map((c) => `"${c}"`);
  const either = listed.length > 1 ? `${listed.slice(0, -1).join(", ")} or ${listed.at(-1)}` : listed[0];
  return {
    parse: (text) =>
      (choices as readonly string[]).includes(text)
        ? { value: text as T }
        : { problems: [`must be ${either}, not "${text}"`] },
    format: (value) => value,
  };
}

/** An http:// or https:// URL, kept as written. */
export const urlCodec: Pick<Setting<string>, "parse" | "format"> = {
  parse: (text) => {
    try {
      const u = new URL(text);
      if (u.protocol === "http:" || u.protocol === "https:") return { value: text };
    } catch {
      // reported below
    }
    return { problems: [`must be an http:// or https:// URL, not "${text}"`] };
  },
  format: (value) => value,
};
