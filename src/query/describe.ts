import type { Condition, QueryPlan } from './types.ts';

/** What a plan asked for, for the audit line: fields always, values only when asked. */
export function describePlan(plan: QueryPlan): { dimensions: string[]; metrics: string[]; filterFields: string[]; filterValues: unknown[] } {
  const filterFields: string[] = [];
  const filterValues: unknown[] = [];
  const walk = (c: Condition | null): void => {
    if (!c) return;
    if (c.kind === 'and' || c.kind === 'or') c.items.forEach(walk);
    else if (c.kind === 'not') walk(c.item);
    else if (c.kind === 'compare') {
      if (!filterFields.includes(c.field.alias)) filterFields.push(c.field.alias);
      filterValues.push(...c.values);
    }
  };
  walk(plan.where);
  walk(plan.having);
  return { dimensions: plan.dimensions.map((d) => d.alias), metrics: plan.metrics.map((m) => m.alias), filterFields, filterValues };
}
