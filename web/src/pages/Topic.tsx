import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type Topic } from '../api.js';
import { CopyField } from '../components/CopyButton.js';
import { ItemList } from '../components/ItemList.js';
import { can, useSession } from '../session.js';

/** A topic read as stories (one entry per story, its sources beside it), and how to subscribe to it. */
export function TopicPage({ slug }: { slug: string }) {
  const { session } = useSession();
  const [topic, setTopic] = useState<Topic | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    setTopic(null);
    setError('');
    api<{ topic: Topic }>('GET', `/api/v1/topics/${slug}`)
      .then((r) => setTopic(r.topic))
      .catch((err) => setError(err instanceof ApiError ? err.message : String(err)));
  }, [slug, session]);

  if (error) {
    return (
      <main id="main">
        <h1>Topic not found</h1>
        <p role="alert" class="error">
          {error}
        </p>
        {!session && (
          <p>
            A private topic needs you to <a href={`/sign-in?next=/topic/${slug}`}>sign in</a>.
          </p>
        )}
      </main>
    );
  }
  // The stories are asked for at once, beside the topic (one round trip less before the first is drawn).
  return (
    <main id="main">
      {topic ? (
        <>
          <div class="page-head">
            <h1 dir="auto">{topic.name}</h1>
            {can(session, 'write') && (
              <a class="button" href={`/topic/${slug}/edit`}>
                Edit
              </a>
            )}
          </div>
          <p>
            Rule: <code dir="auto">{topic.rule}</code>
            {topic.visibility === 'private' && <span class="badge">private</span>}
          </p>
          <Subscribe topic={topic} />
        </>
      ) : (
        <p class="loading">Loading…</p>
      )}
      <ItemList
        params={{ topic: slug }}
        termsOf={(item) => item.topics.find((t) => t.slug === slug)?.terms.map((t) => t.term) ?? []}
        empty="Nothing in this topic yet."
      />
    </main>
  );
}

/** The topic's feed addresses and push channels, each with a copy button. */
function Subscribe({ topic }: { topic: Topic }) {
  const base = window.location.origin;
  const key = topic.visibility === 'private' && topic.feedKey ? `?key=${encodeURIComponent(topic.feedKey)}` : '';
  const feed = (format: string) => `${base}/topics/${topic.slug}/feed.${format}${key}`;
  return (
    <details class="subscribe">
      <summary>Subscribe</summary>
      <p>In a feed reader{key ? ' (these addresses carry the topic’s key: keep them to yourself)' : ''}:</p>
      <CopyField label="Atom" value={feed('atom')} />
      <CopyField label="RSS" value={feed('rss')} />
      <CopyField label="JSON Feed" value={feed('json')} />
      <p>Pushed as new stories arrive:</p>
      <CopyField label="WebSub hub" value={`${base}/websub`} />
      <CopyField label="Live stream (Server-Sent Events)" value={`${base}/topics/${topic.slug}/stream${key}`} />
      <p class="meta">
        Webhooks (signed JSON to your address) are added with <code>POST /api/v1/topics/{topic.slug}/webhooks</code>.
      </p>
    </details>
  );
}
