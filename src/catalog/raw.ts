/**
 * Reading parsed YAML defensively. Semantic checks run even when the schema found problems
 * (so every mistake is reported in one run), so they cannot trust shapes: these accessors
 * return `undefined` / `[]` for anything of the wrong type instead of throwing.
 */

export type RawObject = Readonly<Record<string, unknown>>;

export function obj(value: unknown): RawObject | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as RawObject) : undefined;
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function bool(value: unknown): boolean | undefined {
  return typeof value === 'boolean' ? value : undefined;
}

export function list(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Items of a list that are mappings, with their index in the file. */
export function objects(value: unknown): { item: RawObject; index: number }[] {
  const out: { item: RawObject; index: number }[] = [];
  list(value).forEach((v, index) => {
    const item = obj(v);
    if (item) out.push({ item, index });
  });
  return out;
}

export function strings(value: unknown): string[] {
  return list(value).filter((v): v is string => typeof v === 'string');
}
