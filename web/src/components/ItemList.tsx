import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, query, type Item, type ItemPage } from '../api.js';
import { StoryCard } from './StoryCard.js';

/**
 * Stories of a listing (a topic, or a search), newest first, a page at a time by cursor: the next
 * page comes as the reader scrolls near the end (or with the button, for keyboards).
 */
export function ItemList({
  params,
  termsOf,
  empty,
}: {
  params: Record<string, string>;
  termsOf: (item: Item) => string[];
  empty: string;
}) {
  const [items, setItems] = useState<Item[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [state, setState] = useState<'loading' | 'idle' | 'done' | 'error'>('loading');
  const [error, setError] = useState('');
  const sentinel = useRef<HTMLDivElement>(null);
  const key = JSON.stringify(params);

  const load = async (after: string | null, reset: boolean) => {
    setState('loading');
    try {
      const page = await api<ItemPage>('GET', `/api/v1/items${query({ ...params, limit: 30, cursor: after })}`);
      setItems((old) => (reset ? page.items : [...old, ...page.items]));
      setCursor(page.nextCursor);
      setState(page.nextCursor ? 'idle' : 'done');
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
      setState('error');
    }
  };

  useEffect(() => {
    setItems([]);
    void load(null, true);
  }, [key]);

  useEffect(() => {
    const el = sentinel.current;
    if (!el || state !== 'idle') return;
    const seen = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) void load(cursor, false);
    });
    seen.observe(el);
    return () => seen.disconnect();
  }, [state, cursor]);

  return (
    <section aria-busy={state === 'loading'} aria-live="polite">
      {items.map((item) => (
        <StoryCard key={item.id} item={item} terms={termsOf(item)} />
      ))}
      {state === 'error' && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {state === 'done' && items.length === 0 && <p class="empty">{empty}</p>}
      {state === 'loading' && <p class="loading">Loading…</p>}
      {state === 'idle' && (
        <div ref={sentinel}>
          <button type="button" onClick={() => void load(cursor, false)}>
            More stories
          </button>
        </div>
      )}
    </section>
  );
}
