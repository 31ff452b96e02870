/** The Connect view: this gateway's OData URL as the browser reached it, and each BI tool's steps. */
import { origin } from './api.ts';
import { CopyButton } from './copy.tsx';

export function ConnectView({ apiKey, actingAs }: { apiKey: string; actingAs: string | null }) {
  const feed = `${origin}/odata/`;
  return (
    <>
      <p>
        Power BI, Excel and Tableau read this gateway as an OData v4 feed. Each tool asks for the feed URL and a
        user name and password: any user name, and your API key as the password.
      </p>
      {actingAs !== null && (
        <p class="note">
          You are an admin acting as {actingAs} in this page. BI tools cannot send that choice: give each tool a key of
          the tenant instead of an admin key.
        </p>
      )}
      <dl class="connect-facts">
        <dt>OData feed URL</dt>
        <dd><code id="odata-url">{feed}</code> <CopyButton text={feed} label="Copy OData URL" /></dd>
        <dt>User name</dt>
        <dd>anything, for example <code>semgate</code></dd>
        <dt>Password</dt>
        <dd>your API key <CopyButton text={apiKey} label="Copy API key" /></dd>
      </dl>

      <h3>Power BI Desktop</h3>
      <ol>
        <li>Home &gt; Get data &gt; OData feed.</li>
        <li>Choose Basic, enter the feed URL <code>{feed}</code> (with the trailing slash) and select OK.</li>
        <li>In the credential dialog choose Basic: any user name, your API key as the password. Apply it to the feed URL and select Connect.</li>
        <li>The Navigator lists one table per dataset. Tick the tables, then Transform Data (choose the columns first: they decide the grouping) or Load.</li>
      </ol>

      <h3>Excel</h3>
      <ol>
        <li>Data &gt; Get Data &gt; From Other Sources &gt; From OData Feed.</li>
        <li>URL: <code>{feed}</code> and OK.</li>
        <li>Credential: Basic, any user name, your API key as the password. Connect.</li>
        <li>In the Navigator pick a dataset and select Transform Data; Home &gt; Choose Columns keeps the dimensions and metrics you want; then Close &amp; Load.</li>
      </ol>

      <h3>Tableau</h3>
      <ol>
        <li>Connect &gt; To a Server &gt; OData (under More… when it is not listed).</li>
        <li>Server: <code>{feed}</code>, or better a feed URL for one dataset with its columns, such as the OData URL the Query view shows for a query.</li>
        <li>Authentication: Username and Password: any user name, your API key as the password. Sign In.</li>
        <li>Tableau makes an extract: refresh it with Data &gt; Extract &gt; Refresh.</li>
      </ol>

      <h3>Scripts</h3>
      <p>
        The REST API is at <code>{`${origin}/v1/`}</code>: send the key as <code>Authorization: Bearer</code>. The Query view shows
        each query as a curl line; the whole API is described at <code>{`${origin}/openapi.json`}</code>.
      </p>
    </>
  );
}
