import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type Topic } from '../api.js';
import { can, useSession } from '../session.js';

/** Every topic the reader may see: its name, rule, how many items today and this week, the newest headline. */
export function Home() {
  const { session } = useSession();
  const [topics, setTopics] = useState<Topic[] | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    api<{ topics: Topic[] }>('GET', '/api/v1/topics?stats=true')
      .then((r) => setTopics(r.topics))
      .catch((err) => setError(err instanceof ApiError ? err.message : String(err)));
  }, [session]);
  return (
    <main id="main">
      <div class="page-head">
        <h1>Topics</h1>
        {can(session, 'write') && (
          <a class="button" href="/new-topic">
            New topic
          </a>
        )}
      </div>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {topics === null && !error && <p class="loading">Loading…</p>}
      {topics?.length === 0 && (
        <p class="empty">No topics yet{can(session, 'write') ? ': make the first one.' : '.'}</p>
      )}
      <ul class="topics">
        {topics?.map((t) => (
          <li key={t.slug}>
            <h2>
              <a href={`/topic/${t.slug}`} dir="auto">
                {t.name}
              </a>
              {t.visibility === 'private' && <span class="badge">private</span>}
            </h2>
            <p>
              <code dir="auto">{t.rule}</code>
            </p>
            <p class="meta">
              {t.stats?.today ?? 0} today · {t.stats?.week ?? 0} this week
            </p>
            {t.stats?.latest && (
              <p class="latest" dir="auto">
                Latest: {t.stats.latest.title || t.stats.latest.url}
              </p>
            )}
          </li>
        ))}
      </ul>
    </main>
  );
}
