/**
 * A query's answer: the rows as a table, a chart, the same query as a curl line and an OData
 * URL, and a Download CSV link. The CSV is fetched with the key in a header when the link is
 * first used and handed to the browser as a Blob URL: the key never goes into a URL.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, origin, type Api, type QueryResult } from './api.ts';
import { ChartCanvas } from './chart.tsx';
import { chartData } from './chart-data.ts';
import { CopyButton } from './copy.tsx';
import { curlLine, maskKey, odataUrl, type Field, type SemanticQuery } from './query.ts';

/** Rows drawn in the table; the CSV has them all. */
const SHOWN_ROWS = 1000;

export function cellText(v: unknown): string {
  return v === null || v === undefined ? '' : String(v);
}

export function ResultView({ api, query, result, fields, actingAs }: {
  api: Api; query: SemanticQuery; result: QueryResult; fields: Field[]; actingAs: string | null;
}) {
  const chart = useMemo(() => chartData(result.columns, result.rows, query.metrics ?? []), [result, query]);
  const numeric = new Set(['number', 'integer']);
  const shown = result.rows.slice(0, SHOWN_ROWS);
  const { meta } = result;
  return (
    <section class="result" aria-labelledby="h-result">
      <h3 id="h-result" tabIndex={-1}>Result</h3>
      <p role="status">
        {meta.row_count.toLocaleString('en')} {meta.row_count === 1 ? 'row' : 'rows'}
        {meta.truncated && ', cut by the limit: more rows exist'} · {meta.duration_ms} ms{meta.cached && ' · from the cache'}
        {result.rows.length > SHOWN_ROWS && ` · the table shows the first ${SHOWN_ROWS.toLocaleString('en')}; the CSV has them all`}
      </p>
      <figure aria-label="Chart">
        {chart ? <ChartCanvas data={chart} /> : <p class="muted">Nothing to draw: a chart needs a metric and at least one row.</p>}
        {chart && <figcaption>{chart.description}</figcaption>}
      </figure>
      <div class="table-wrap scroll" tabIndex={0} role="group" aria-label="Result rows, scrollable">
        <table>
          <thead>
            <tr>{result.columns.map((c) => <th scope="col" key={c.name}>{c.name}</th>)}</tr>
          </thead>
          <tbody>
            {shown.map((row, i) => (
              <tr key={i}>{row.map((v, j) => <td key={j} class={numeric.has(result.columns[j]?.type ?? '') ? 'num' : undefined}>{cellText(v)}</td>)}</tr>
            ))}
          </tbody>
        </table>
      </div>
      <SameQuery api={api} query={query} fields={fields} actingAs={actingAs} />
    </section>
  );
}

function SameQuery({ api, query, fields, actingAs }: { api: Api; query: SemanticQuery; fields: Field[]; actingAs: string | null }) {
  const [reveal, setReveal] = useState(false);
  const [csv, setCsv] = useState<{ url: string } | { error: string } | null>(null);
  const link = useRef<HTMLAnchorElement>(null);
  // The file's URL as soon as it exists: the programmatic click below re-enters `download`.
  const fileUrl = useRef<string | null>(null);
  const queryUrl = `${origin}/v1/query`;
  const full = curlLine(queryUrl, api.key, query, actingAs);
  const shown = reveal ? full : curlLine(queryUrl, maskKey(api.key), query, actingAs);
  const odata = odataUrl(`${origin}/odata/`, query, fields);

  // A new query's CSV is another file; the old Blob URL is let go.
  useEffect(() => {
    fileUrl.current = null;
    setCsv(null);
    return undefined;
  }, [query, api]);
  useEffect(() => () => {
    if (csv && 'url' in csv) URL.revokeObjectURL(csv.url);
  }, [csv]);

  const download = async (e: MouseEvent): Promise<void> => {
    if (fileUrl.current !== null) return; // the link already holds the file
    e.preventDefault();
    try {
      const url = URL.createObjectURL(await api.csv(query));
      fileUrl.current = url;
      setCsv({ url });
      const a = link.current;
      if (a) {
        a.href = url;
        a.click();
      }
    } catch (err) {
      setCsv({ error: err instanceof ApiError ? err.message : String(err) });
    }
  };

  return (
    <div class="same-query">
      <h3>The same query elsewhere</h3>
      <p>
        <a ref={link} class="button-link" href={csv && 'url' in csv ? csv.url : '#download-csv'} download={`${query.dataset}.csv`} onClick={download}>
          Download CSV
        </a>
      </p>
      {csv && 'error' in csv && <p role="alert" class="alert">{csv.error}</p>}
      <h4 id="curl-label">curl</h4>
      <pre class="code" aria-labelledby="curl-label"><code id="curl-line">{shown}</code></pre>
      <p>
        <button type="button" class="secondary" aria-pressed={reveal} onClick={() => setReveal(!reveal)}>Show key</button>{' '}
        <CopyButton text={full} label="Copy curl line" />
        <span class="muted"> The copied line holds your key: keep it out of shared places.</span>
      </p>
      <h4 id="odata-label">OData URL</h4>
      {odata === null
        ? <p class="muted">Segments have no OData form: leave them out to get an OData URL.</p>
        : (
          <>
            <pre class="code" aria-labelledby="odata-label"><code id="odata-query-url">{odata}</code></pre>
            <p><CopyButton text={odata} label="Copy OData URL" /> <span class="muted">For Tableau's OData connector, Power BI and Excel: any user name, your key as the password.</span></p>
          </>
        )}
    </div>
  );
}
