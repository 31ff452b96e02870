/**
 * The customer portal: sign in with a key (kept in this tab's session storage only), then
 * Datasets, Query, Connect and Usage. Every value from the API is rendered as text by
 * Preact's bindings; nothing here writes HTML.
 */
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { Api, ApiError, identify, session, type DatasetDetail, type DatasetSummary, type Identity } from './api.ts';
import { BuilderView } from './builder.tsx';
import { ConnectView } from './connect.tsx';
import { DatasetsView, type Details } from './datasets.tsx';
import { UsageView } from './usage.tsx';
import './styles.css';

type View = 'datasets' | 'query' | 'connect' | 'usage';
const VIEWS: { id: View; title: string }[] = [
  { id: 'datasets', title: 'Datasets' }, { id: 'query', title: 'Query' }, { id: 'connect', title: 'Connect' }, { id: 'usage', title: 'Usage' },
];

function viewOfHash(): View {
  const id = location.hash.slice(1);
  return VIEWS.some((v) => v.id === id) ? (id as View) : 'datasets';
}

interface Signed { api: Api; identity: Identity; datasets: DatasetSummary[] }

const message = (e: unknown): string => (e instanceof ApiError ? e.message : e instanceof Error ? e.message : String(e));

function App() {
  const [signed, setSigned] = useState<Signed | null>(null);
  const [restoring, setRestoring] = useState(() => session.load() !== null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const signIn = async (api: Api): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      const { identity, datasets } = await identify(api);
      session.save(api.key, api.actAs);
      setSigned({ api, identity, datasets });
    } catch (e) {
      setError(message(e));
      if (signed === null) session.clear();
    } finally {
      setBusy(false);
    }
  };

  // A reload of the tab signs in again with the key it kept.
  useEffect(() => {
    const kept = session.load();
    if (kept === null) return;
    identify(new Api(kept.key, kept.actAs))
      .then(({ identity, datasets }) => setSigned({ api: new Api(kept.key, kept.actAs), identity, datasets }))
      .catch(() => session.clear())
      .finally(() => setRestoring(false));
  }, []);

  if (restoring) return <main id="main"><p class="muted">Signing in…</p></main>;
  if (signed === null) return <SignIn busy={busy} error={error} onKey={(key) => signIn(new Api(key, null))} />;
  return (
    <Portal
      signed={signed}
      error={error}
      onActAs={(tenant) => signIn(signed.api.withActAs(tenant))}
      onSignOut={() => {
        session.clear();
        setSigned(null);
        setError(null);
      }}
    />
  );
}

function SignIn({ busy, error, onKey }: { busy: boolean; error: string | null; onKey: (key: string) => void }) {
  const [key, setKey] = useState('');
  const field = useRef<HTMLInputElement>(null);
  useEffect(() => field.current?.focus(), []);
  return (
    <main id="main" class="sign-in">
      <h1>semgate customer portal</h1>
      <p>Sign in with the API key you were given to see your datasets, connect a BI tool, run queries and follow your usage.</p>
      {/* Never submitted: the handler reads the field; no `name`, so no browser could put the key in a URL. */}
      <form method="post" onSubmit={(e) => {
        e.preventDefault();
        if (key.trim() !== '') onKey(key.trim());
      }}>
        <label for="api-key">API key</label>
        <input id="api-key" ref={field} type="password" autoComplete="off" spellcheck={false} required value={key}
          aria-describedby="key-note" onInput={(e) => setKey(e.currentTarget.value)} />
        <button type="submit" class="primary" disabled={busy}>Sign in</button>
        <p id="key-note" class="muted">The key stays in this browser tab (session storage) and is sent only in a request header.</p>
      </form>
      {error !== null && <p role="alert" class="alert">{error}</p>}
    </main>
  );
}

function Portal({ signed, error, onActAs, onSignOut }: {
  signed: Signed; error: string | null; onActAs: (tenant: string | null) => void; onSignOut: () => void;
}) {
  const { api, identity, datasets } = signed;
  const [view, setView] = useState<View>(viewOfHash);
  const [details, setDetails] = useState<Details>({});
  const heading = useRef<HTMLHeadingElement>(null);
  const moved = useRef(false);

  useEffect(() => {
    const onHash = (): void => {
      moved.current = true;
      setView(viewOfHash());
    };
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  // After a move to another view, the keyboard starts at its heading.
  useEffect(() => {
    if (moved.current) heading.current?.focus();
  }, [view]);

  useEffect(() => {
    let live = true;
    setDetails({});
    for (const d of datasets) {
      api.get<DatasetDetail>(`/v1/datasets/${encodeURIComponent(d.name)}`).then(
        (detail) => live && setDetails((all) => ({ ...all, [d.name]: detail })),
        (e: unknown) => live && setDetails((all) => ({ ...all, [d.name]: { error: message(e) } })),
      );
    }
    return () => {
      live = false;
    };
  }, [api, datasets]);

  const title = VIEWS.find((v) => v.id === view)!.title;
  return (
    <>
      <a class="skip" href="#main-view" onClick={(e) => {
        e.preventDefault();
        heading.current?.focus();
      }}>Skip to content</a>
      <header class="top">
        <p class="brand">semgate portal</p>
        <h1>{identity.tenant !== null ? <><span class="muted">Tenant</span> {identity.tenant}{identity.admin && <span class="muted"> (admin acting as tenant)</span>}</> : identity.admin ? 'All tenants (admin)' : 'Signed in'}</h1>
        {identity.admin && <ActAs current={api.actAs} onActAs={onActAs} />}
        <button type="button" class="secondary" onClick={onSignOut}>Sign out</button>
      </header>
      {error !== null && <p role="alert" class="alert">{error}</p>}
      <nav aria-label="Portal">
        <ul>
          {VIEWS.map((v) => (
            <li key={v.id}><a href={`#${v.id}`} aria-current={v.id === view ? 'page' : undefined}>{v.title}</a></li>
          ))}
        </ul>
      </nav>
      <main id="main">
        <section id="main-view" aria-labelledby="view-heading">
          <h2 id="view-heading" ref={heading} tabIndex={-1}>{title}</h2>
          {view === 'datasets' && <DatasetsView datasets={datasets} details={details} />}
          {view === 'query' && <BuilderView api={api} datasets={datasets} details={details} actingAs={api.actAs} />}
          {view === 'connect' && <ConnectView apiKey={api.key} actingAs={api.actAs} />}
          {view === 'usage' && (
            <UsageView api={api} allTenants={identity.admin && api.actAs === null} onActAs={(t) => onActAs(t)} />
          )}
        </section>
      </main>
    </>
  );
}

function ActAs({ current, onActAs }: { current: string | null; onActAs: (tenant: string | null) => void }) {
  const [text, setText] = useState(current ?? '');
  useEffect(() => setText(current ?? ''), [current]);
  return (
    <form class="act-as" method="post" onSubmit={(e) => {
      e.preventDefault();
      onActAs(text.trim() === '' ? null : text.trim());
    }}>
      <label for="act-as">Act as tenant</label>
      <input id="act-as" type="text" value={text} placeholder="all tenants" autoComplete="off" spellcheck={false}
        onInput={(e) => setText(e.currentTarget.value)} aria-describedby="act-as-note" />
      <button type="submit" class="secondary">Apply</button>
      <span id="act-as-note" class="visually-hidden">Leave empty to see every tenant. Data calls then send X-Tenant-Id.</span>
    </form>
  );
}

render(<App />, document.getElementById('app')!);
