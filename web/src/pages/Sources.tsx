import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, ApiError, CLIENT_HEADER, type Feed } from '../api.js';
import { Outcome } from '../components/Notice.js';
import { can, useSession } from '../session.js';

type SortKey = 'health' | 'title' | 'lastPolledAt' | 'nextPollAt';
const HEALTH_ORDER: Record<Feed['status'], number> = { failing: 0, disabled: 1, new: 2, ok: 3 };
const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '—');

/**
 * Sources: add a feed (by its address or a site's: when the site advertises several, choose),
 * OPML in and out, and every feed's health (last and next poll, last error in words, disabled
 * and why) with its actions; sorted and filtered for a person with hundreds of feeds.
 */
export function Sources() {
  const { session } = useSession();
  const [feeds, setFeeds] = useState<Feed[] | null>(null);
  const [error, setError] = useState('');
  const [sort, setSort] = useState<SortKey>('health');
  const [filter, setFilter] = useState('');
  const [only, setOnly] = useState<'all' | 'problems'>('all');
  const writes = can(session, 'write');

  const reload = () =>
    api<{ feeds: Feed[] }>('GET', '/api/v1/feeds')
      .then((r) => setFeeds(r.feeds))
      .catch((err) => setError(err instanceof ApiError ? err.message : String(err)));
  useEffect(() => void reload(), [session]);

  const act = async (method: string, path: string, body?: unknown) => {
    setError('');
    try {
      await api(method, path, body);
      await reload();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    }
  };

  const shown = useMemo(() => {
    const words = filter.trim().toLowerCase();
    const list = (feeds ?? []).filter(
      (f) =>
        (only === 'all' || f.status === 'failing' || f.status === 'disabled') &&
        (!words || `${f.title} ${f.url} ${f.lastError ?? ''}`.toLowerCase().includes(words)),
    );
    const by: Record<SortKey, (a: Feed, b: Feed) => number> = {
      health: (a, b) => HEALTH_ORDER[a.status] - HEALTH_ORDER[b.status] || a.title.localeCompare(b.title),
      title: (a, b) => (a.title || a.url).localeCompare(b.title || b.url),
      lastPolledAt: (a, b) => (b.lastPolledAt ?? '').localeCompare(a.lastPolledAt ?? ''),
      nextPollAt: (a, b) => (a.nextPollAt ?? '').localeCompare(b.nextPollAt ?? ''),
    };
    return list.sort(by[sort]);
  }, [feeds, sort, filter, only]);

  if (!can(session, 'read')) {
    return (
      <main id="main">
        <h1>Sources</h1>
        <p>
          The sources need a token that reads: <a href="/sign-in?next=/sources">sign in</a>.
        </p>
      </main>
    );
  }
  return (
    <main id="main">
      <h1>Sources</h1>
      {writes && <AddFeed onAdded={reload} />}
      {writes && <Opml onImported={reload} />}
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      <div class="table-tools">
        <label for="filter">Filter</label>
        <input
          id="filter"
          type="search"
          value={filter}
          onInput={(e) => setFilter((e.target as HTMLInputElement).value)}
        />
        <label for="only">Show</label>
        <select id="only" value={only} onChange={(e) => setOnly((e.target as HTMLSelectElement).value as typeof only)}>
          <option value="all">all feeds</option>
          <option value="problems">failing and disabled</option>
        </select>
        <label for="sort">Sort by</label>
        <select id="sort" value={sort} onChange={(e) => setSort((e.target as HTMLSelectElement).value as SortKey)}>
          <option value="health">health (failing first)</option>
          <option value="title">title</option>
          <option value="lastPolledAt">last poll</option>
          <option value="nextPollAt">next poll</option>
        </select>
        <span class="meta">
          {shown.length} of {feeds?.length ?? 0}
        </span>
      </div>
      <div class="table-wrap">
        <table class="feeds">
          <caption class="visually-hidden">Feeds and their health</caption>
          <thead>
            <tr>
              <th scope="col">Feed</th>
              <th scope="col">Health</th>
              <th scope="col">Last poll</th>
              <th scope="col">Next poll</th>
              {writes && <th scope="col">Actions</th>}
            </tr>
          </thead>
          <tbody>
            {shown.map((f) => (
              <tr key={f.id} class={`status-${f.status}`} data-feed-id={f.id}>
                <td>
                  <span dir="auto">{f.title || '(untitled)'}</span>
                  {f.preferred && <span class="badge">preferred</span>}
                  <br />
                  <span class="meta url">{f.url}</span>
                </td>
                <td data-label="Health">
                  <span class={`health health-${f.status}`}>{f.status}</span>
                  {f.lastError && (
                    <p class="cause">
                      {f.lastError}
                      {f.lastErrorCode && <code>{f.lastErrorCode}</code>}
                    </p>
                  )}
                  {f.disabledReason && <p class="cause">Disabled: {f.disabledReason}</p>}
                </td>
                <td data-label="Last poll">{when(f.lastPolledAt)}</td>
                <td data-label="Next poll">{when(f.nextPollAt)}</td>
                {writes && (
                  <td class="row-actions">
                    <button type="button" onClick={() => act('POST', `/api/v1/feeds/${f.id}/refresh`)}>
                      Refresh
                    </button>
                    {f.status === 'disabled' && (
                      <button type="button" onClick={() => act('PATCH', `/api/v1/feeds/${f.id}`, { enabled: true })}>
                        Enable
                      </button>
                    )}
                    <button
                      type="button"
                      onClick={() => act('PATCH', `/api/v1/feeds/${f.id}`, { preferred: !f.preferred })}
                    >
                      {f.preferred ? 'Unprefer' : 'Prefer'}
                    </button>
                    <button
                      type="button"
                      class="danger"
                      onClick={() =>
                        confirm(`Remove ${f.title || f.url} and its items?`) && act('DELETE', `/api/v1/feeds/${f.id}`)
                      }
                    >
                      Remove
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </main>
  );
}

/** Adds a feed by its address or a site's; when the site advertises several feeds, the person chooses. */
function AddFeed({ onAdded }: { onAdded: () => void }) {
  const [url, setUrl] = useState('');
  const [choices, setChoices] = useState<{ url: string; title: string }[] | null>(null);
  const [message, setMessage] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const subscribe = async (address: string) => {
    const added = await api<{ feed: Feed; created: boolean; firstPoll?: { items?: number } }>('POST', '/api/v1/feeds', {
      url: address,
    });
    setMessage(
      added.created
        ? `Added ${added.feed.title || added.feed.url}: ${added.firstPoll?.items ?? 0} items.`
        : `Already subscribed: ${added.feed.title || added.feed.url}.`,
    );
    setChoices(null);
    setUrl('');
    onAdded();
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setError('');
    setMessage('');
    setBusy(true);
    try {
      const { feeds } = await api<{ feeds: { url: string; title: string }[] }>('POST', '/api/v1/feeds', {
        url,
        discover: true,
      });
      if (feeds.length > 1) setChoices(feeds);
      else await subscribe(feeds[0]?.url ?? url);
    } catch (err) {
      setError(err instanceof ApiError ? `${err.message} (${err.code})` : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="add-feed">
      <h2>Add a feed</h2>
      <form onSubmit={submit}>
        <label for="feed-url">A feed's address, or a site's</label>
        <input
          id="feed-url"
          type="url"
          required
          value={url}
          onInput={(e) => setUrl((e.target as HTMLInputElement).value)}
        />
        <button type="submit" disabled={busy}>
          {busy ? 'Adding…' : 'Add'}
        </button>
      </form>
      {choices && (
        <fieldset class="choices">
          <legend>The site advertises {choices.length} feeds: which one?</legend>
          {choices.map((c) => (
            <button type="button" key={c.url} onClick={() => subscribe(c.url).catch((err) => setError(String(err)))}>
              {c.title || c.url}
              <span class="meta"> {c.url}</span>
            </button>
          ))}
        </fieldset>
      )}
      <Outcome message={message} error={error} />
    </section>
  );
}

/** OPML: upload a file of feeds, download all of them. */
function Opml({ onImported }: { onImported: () => void }) {
  const [message, setMessage] = useState('');
  const [error, setError] = useState('');
  const upload = async (e: Event) => {
    const file = (e.target as HTMLInputElement).files?.[0];
    if (!file) return;
    setError('');
    try {
      const result = await api<{ added: unknown[]; skipped: unknown[]; refused: unknown[] }>(
        'POST',
        '/api/v1/opml',
        await file.text(),
        'text/x-opml',
      );
      setMessage(
        `${result.added.length} added, ${result.skipped.length} already there, ${result.refused.length} refused.`,
      );
      onImported();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    }
  };
  const download = async () => {
    const res = await fetch('/api/v1/opml', { headers: CLIENT_HEADER, credentials: 'same-origin' });
    const link = document.createElement('a');
    link.href = URL.createObjectURL(await res.blob());
    link.download = 'topicwire.opml';
    link.click();
    URL.revokeObjectURL(link.href);
  };
  return (
    <section class="opml">
      <h2>OPML</h2>
      <label for="opml-file">Import an OPML file</label>
      <input id="opml-file" type="file" accept=".opml,.xml,text/x-opml,application/xml" onChange={upload} />
      <button type="button" onClick={download}>
        Download all feeds as OPML
      </button>
      <Outcome message={message} error={error} />
    </section>
  );
}
