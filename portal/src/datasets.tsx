/** The Datasets view: each dataset the key may query, with its fields, types, grains and descriptions. */
import type { DatasetDetail, DatasetSummary } from './api.ts';

export type Details = Record<string, DatasetDetail | { error: string }>;

export function DatasetsView({ datasets, details }: { datasets: DatasetSummary[]; details: Details }) {
  if (datasets.length === 0) return <p>This key may not query any dataset.</p>;
  return (
    <>
      <p>The datasets this key may query. A dimension groups rows; a metric is computed per group.</p>
      {datasets.map((d) => {
        const detail = details[d.name];
        const id = `ds-${d.name}`;
        return (
          <article key={d.name} class="dataset" aria-labelledby={id}>
            <h3 id={id}>{d.label} <code>{d.name}</code></h3>
            {d.description !== null && <p>{d.description}</p>}
            {detail === undefined && <p class="muted">Loading fields…</p>}
            {detail !== undefined && 'error' in detail && <p class="error-text">{detail.error}</p>}
            {detail !== undefined && !('error' in detail) && <Fields detail={detail} />}
          </article>
        );
      })}
    </>
  );
}

const RELATIONSHIP: Record<DatasetDetail['joins'][number]['relationship'], string> = {
  many_to_one: 'one per row', one_to_one: 'one per row', one_to_many: 'several per row',
};

function Fields({ detail }: { detail: DatasetDetail }) {
  return (
    <>
      {detail.joins.length > 0 && (
        <p>Joined: {detail.joins.map((j, i) => (
          <span key={j.dataset}>{i > 0 && ', '}{j.label} (<code>{j.dataset}</code>, {RELATIONSHIP[j.relationship]}{j.via !== detail.name && `, through ${j.via}`})</span>
        ))}. Their fields are named <code>dataset.field</code>; each metric is counted once per row of its own dataset.</p>
      )}
      <div class="table-wrap">
        <table>
          <caption>Fields of {detail.label}</caption>
          <thead>
            <tr><th scope="col">Field</th><th scope="col">Kind</th><th scope="col">Type</th><th scope="col">Time grains</th><th scope="col">Description</th></tr>
          </thead>
          <tbody>
            {detail.dimensions.map((f) => (
              <tr key={`d-${f.name}`}>
                <th scope="row"><code>{f.name}</code>{f.label !== f.name && <span class="muted"> {f.label}</span>}</th>
                <td>dimension</td><td>{f.type}</td><td>{f.time_grains.join(', ')}</td><td>{f.description ?? ''}</td>
              </tr>
            ))}
            {detail.metrics.map((f) => (
              <tr key={`m-${f.name}`}>
                <th scope="row"><code>{f.name}</code>{f.label !== f.name && <span class="muted"> {f.label}</span>}</th>
                <td>metric</td><td>{f.type}</td><td></td><td>{f.description ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {detail.segments.length > 0 && (
        <p>Segments (named filters): {detail.segments.map((s, i) => (
          <span key={s.name}>{i > 0 && ', '}<code>{s.name}</code>{s.description !== null && ` (${s.description})`}</span>
        ))}.</p>
      )}
      <p class="muted">Up to {detail.limits.max_rows.toLocaleString('en')} rows per query; {detail.limits.default_limit.toLocaleString('en')} when no limit is given.</p>
    </>
  );
}
