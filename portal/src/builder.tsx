/**
 * The query builder: dataset, dimension and metric checkboxes, a grain per time dimension,
 * filters with the operators of each field's type, order and limit; Run shows the answer.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, type Api, type DatasetDetail, type DatasetSummary, type QueryResult } from './api.ts';
import type { Details } from './datasets.tsx';
import {
  OPERATOR_LABELS, buildQuery, dimensionMember, operatorsFor, valueCount, type BuilderState, type Field, type FieldType, type FilterDraft,
  type SemanticQuery,
} from './query.ts';
import { ResultView } from './result.tsx';

const DEFAULT_LIMIT = 100;

function emptyState(dataset: string): BuilderState {
  return { dataset, dimensions: [], metrics: [], segments: [], filters: [], order: null, limit: DEFAULT_LIMIT };
}

function fieldsOf(d: DatasetDetail): Field[] {
  return [
    ...d.dimensions.map((f) => ({ name: f.name, type: f.type, kind: 'dimension' as const, time_grains: f.time_grains })),
    ...d.metrics.map((f) => ({ name: f.name, type: f.type, kind: 'metric' as const, time_grains: [] })),
  ];
}

export function BuilderView({ api, datasets, details, actingAs }: { api: Api; datasets: DatasetSummary[]; details: Details; actingAs: string | null }) {
  const [state, setState] = useState<BuilderState>(() => emptyState(datasets[0]?.name ?? ''));
  const [answer, setAnswer] = useState<{ query: SemanticQuery; result: QueryResult; fields: Field[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [running, setRunning] = useState(false);
  const detail = details[state.dataset];
  const ready = detail !== undefined && !('error' in detail) ? detail : null;
  const fields = useMemo(() => (ready ? fieldsOf(ready) : []), [ready]);

  // Another key or tenant: the old answer is not this one's.
  useEffect(() => {
    setAnswer(null);
    setError(null);
  }, [api]);

  const update = (patch: Partial<BuilderState>): void => setState({ ...state, ...patch });

  const run = async (e: Event): Promise<void> => {
    e.preventDefault();
    const query = buildQuery(state, fields);
    setRunning(true);
    setError(null);
    try {
      const result = await api.query(query);
      setAnswer({ query, result, fields });
    } catch (err) {
      setAnswer(null);
      setError(err instanceof ApiError ? err.message : String(err));
    } finally {
      setRunning(false);
    }
  };

  if (datasets.length === 0) return <p>This key may not query any dataset.</p>;
  const members = [...state.dimensions.map(dimensionMember), ...state.metrics];

  return (
    <>
      <form class="builder" onSubmit={run} method="post" noValidate>
        <div class="field">
          <label for="q-dataset">Dataset</label>
          <select id="q-dataset" value={state.dataset} onChange={(e) => {
            setState(emptyState(e.currentTarget.value));
            setAnswer(null);
            setError(null);
          }}>
            {datasets.map((d) => <option key={d.name} value={d.name}>{d.name}</option>)}
          </select>
        </div>
        {detail === undefined && <p class="muted">Loading fields…</p>}
        {detail !== undefined && 'error' in detail && <p role="alert" class="alert">{detail.error}</p>}
        {ready && (
          <>
            <div class="columns">
              <fieldset>
                <legend>Dimensions</legend>
                {ready.dimensions.map((d) => {
                  const checked = state.dimensions.find((x) => x.name === d.name);
                  const id = `q-dim-${d.name}`;
                  return (
                    <div class="check" key={d.name}>
                      <input type="checkbox" id={id} checked={checked !== undefined} onChange={(e) => update({
                        dimensions: e.currentTarget.checked
                          ? [...state.dimensions, { name: d.name, grain: grainOf(d.name) }]
                          : state.dimensions.filter((x) => x.name !== d.name),
                      })} />
                      <label for={id}>{d.name}</label>
                      <span class="muted type">{d.type}</span>
                      {d.time_grains.length > 0 && (
                        <span class="grain">
                          <label for={`${id}-grain`} class="visually-hidden">Time grain of {d.name}</label>
                          <select id={`${id}-grain`} value={grainOf(d.name)} onChange={(e) => setGrain(d.name, e.currentTarget.value)}>
                            <option value="">no grain</option>
                            {d.time_grains.map((g) => <option key={g} value={g}>{g}</option>)}
                          </select>
                        </span>
                      )}
                    </div>
                  );
                })}
              </fieldset>
              <fieldset>
                <legend>Metrics</legend>
                {ready.metrics.map((m) => {
                  const id = `q-metric-${m.name}`;
                  return (
                    <div class="check" key={m.name}>
                      <input type="checkbox" id={id} checked={state.metrics.includes(m.name)} onChange={(e) => update({
                        metrics: e.currentTarget.checked ? [...state.metrics, m.name] : state.metrics.filter((x) => x !== m.name),
                      })} />
                      <label for={id}>{m.name}</label>
                      <span class="muted type">{m.type}</span>
                    </div>
                  );
                })}
              </fieldset>
              {ready.segments.length > 0 && (
                <fieldset>
                  <legend>Segments</legend>
                  {ready.segments.map((s) => {
                    const id = `q-segment-${s.name}`;
                    return (
                      <div class="check" key={s.name}>
                        <input type="checkbox" id={id} checked={state.segments.includes(s.name)} onChange={(e) => update({
                          segments: e.currentTarget.checked ? [...state.segments, s.name] : state.segments.filter((x) => x !== s.name),
                        })} />
                        <label for={id}>{s.name}</label>
                      </div>
                    );
                  })}
                </fieldset>
              )}
            </div>
            <Filters fields={fields} filters={state.filters} onChange={(filters) => update({ filters })} />
            <div class="row">
              <div class="field">
                <label for="q-order">Order by</label>
                <select id="q-order" value={state.order?.field ?? ''} onChange={(e) => {
                  const field = e.currentTarget.value;
                  update({ order: field === '' ? null : { field, direction: state.order?.direction ?? 'desc' } });
                }}>
                  <option value="">default order</option>
                  {members.map((m) => <option key={m} value={m}>{m}</option>)}
                </select>
              </div>
              <div class="field">
                <label for="q-direction">Direction</label>
                <select id="q-direction" value={state.order?.direction ?? 'desc'} disabled={state.order === null} onChange={(e) => {
                  if (state.order) update({ order: { field: state.order.field, direction: e.currentTarget.value === 'asc' ? 'asc' : 'desc' } });
                }}>
                  <option value="asc">ascending</option>
                  <option value="desc">descending</option>
                </select>
              </div>
              <div class="field">
                <label for="q-limit">Limit</label>
                <input id="q-limit" type="number" min={0} max={ready.limits.max_rows} inputMode="numeric"
                  value={state.limit === null ? '' : String(state.limit)}
                  onInput={(e) => {
                    const text = e.currentTarget.value.trim();
                    update({ limit: text === '' || !Number.isFinite(Number(text)) ? null : Number(text) });
                  }} />
              </div>
            </div>
            <p class="hint muted" id="q-hint">
              No metric gives the distinct values of the dimensions; no dimension gives one row of totals.
            </p>
            <button type="submit" class="primary" disabled={running} aria-describedby="q-hint">Run</button>
            {running && <span class="muted" role="status"> Running…</span>}
          </>
        )}
      </form>
      {error !== null && <p role="alert" class="alert">{error}</p>}
      {answer && <ResultView api={api} query={answer.query} result={answer.result} fields={answer.fields} actingAs={actingAs} />}
    </>
  );

  function grainOf(name: string): string {
    return state.dimensions.find((x) => x.name === name)?.grain ?? '';
  }

  function setGrain(name: string, grain: string): void {
    const has = state.dimensions.some((x) => x.name === name);
    // Choosing a grain of an unchecked dimension checks it: that is what the choice means.
    update({ dimensions: has ? state.dimensions.map((x) => (x.name === name ? { name, grain } : x)) : [...state.dimensions, { name, grain }] });
  }
}

function Filters({ fields, filters, onChange }: { fields: Field[]; filters: FilterDraft[]; onChange: (f: FilterDraft[]) => void }) {
  const typeOf = (name: string): FieldType => fields.find((f) => f.name === name)?.type ?? 'string';
  const set = (i: number, f: FilterDraft): void => onChange(filters.map((x, j) => (j === i ? f : x)));
  return (
    <fieldset class="filters">
      <legend>Filters</legend>
      {filters.length === 0 && <p class="muted">No filter: every row of your tenant counts.</p>}
      {filters.map((f, i) => {
        const n = i + 1;
        const type = typeOf(f.field);
        const ops = operatorsFor(type);
        const count = valueCount(f.op);
        return (
          <div class="filter" key={i}>
            <label for={`f${n}-field`} class="visually-hidden">Filter {n} field</label>
            <select id={`f${n}-field`} value={f.field} onChange={(e) => {
              const field = e.currentTarget.value;
              const nextOps = operatorsFor(typeOf(field));
              set(i, { field, op: nextOps.includes(f.op) ? f.op : nextOps[0]!, values: [] });
            }}>
              {fields.map((x) => <option key={x.name} value={x.name}>{x.name}</option>)}
            </select>
            <label for={`f${n}-op`} class="visually-hidden">Filter {n} operator</label>
            <select id={`f${n}-op`} value={f.op} onChange={(e) => set(i, { ...f, op: e.currentTarget.value as FilterDraft['op'] })}>
              {ops.map((op) => <option key={op} value={op}>{OPERATOR_LABELS[op]}</option>)}
            </select>
            {count >= 1 && <ValueInput n={n} which={count === 2 ? 'from' : 'value'} type={type} list={f.op === 'in' || f.op === 'not_in'}
              value={f.values[0] ?? ''} onValue={(v) => set(i, { ...f, values: [v, f.values[1] ?? ''] })} />}
            {count === 2 && <ValueInput n={n} which="to" type={type} list={false}
              value={f.values[1] ?? ''} onValue={(v) => set(i, { ...f, values: [f.values[0] ?? '', v] })} />}
            <button type="button" class="secondary" onClick={() => onChange(filters.filter((_, j) => j !== i))}>Remove filter {n}</button>
          </div>
        );
      })}
      <button type="button" class="secondary" disabled={fields.length === 0} onClick={() => {
        const first = fields[0]!;
        onChange([...filters, { field: first.name, op: operatorsFor(first.type)[0]!, values: [] }]);
      }}>Add filter</button>
    </fieldset>
  );
}

function ValueInput({ n, which, type, list, value, onValue }: {
  n: number; which: 'value' | 'from' | 'to'; type: FieldType; list: boolean; value: string; onValue: (v: string) => void;
}) {
  const id = `f${n}-${which}`;
  const label = `Filter ${n} ${which === 'value' ? (list ? 'values, comma-separated' : 'value') : which}`;
  if (type === 'boolean' && !list) {
    return (
      <>
        <label for={id} class="visually-hidden">{label}</label>
        <select id={id} value={value} onChange={(e) => onValue(e.currentTarget.value)}>
          <option value="">choose</option><option value="true">true</option><option value="false">false</option>
        </select>
      </>
    );
  }
  const inputType = list ? 'text' : type === 'date' ? 'date' : type === 'timestamp' ? 'datetime-local' : type === 'number' || type === 'integer' ? 'number' : 'text';
  return (
    <>
      <label for={id} class="visually-hidden">{label}</label>
      <input id={id} type={inputType} step={inputType === 'number' ? 'any' : inputType === 'datetime-local' ? '1' : undefined}
        value={value} onInput={(e) => onValue(e.currentTarget.value)} placeholder={list ? "one, two, three" : undefined} />
    </>
  );
}
