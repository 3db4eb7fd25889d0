import { useState } from 'preact/hooks';
import type { Item } from '../api.js';
import { Highlight } from './Highlight.js';

const when = (iso: string | null) => (iso ? new Date(iso).toLocaleString() : '');

/**
 * One story: its item (title, excerpt with the matched terms marked, where and when) and the
 * story's other sources. The article's HTML is shown only as the service sanitized it, under a
 * Content-Security-Policy that runs no inline script.
 */
export function StoryCard({ item, terms }: { item: Item; terms: string[] }) {
  const [open, setOpen] = useState(false);
  const excerpt = item.summary || item.contentText.slice(0, 400);
  return (
    <article class="story" aria-labelledby={`story-${item.id}`}>
      <h3 id={`story-${item.id}`} dir="auto">
        <a href={item.url || undefined} rel="noopener noreferrer" target="_blank">
          <Highlight text={item.title || '(untitled)'} terms={terms} />
        </a>
      </h3>
      <p class="meta">
        <span dir="auto">{item.feedTitle}</span>
        {item.language && <span class="lang">{item.language}</span>}
        <time dateTime={item.published ?? item.fetchedAt}>{when(item.published ?? item.fetchedAt)}</time>
      </p>
      {excerpt && (
        <p class="excerpt" dir="auto">
          <Highlight text={excerpt.length > 400 ? `${excerpt.slice(0, 400)}…` : excerpt} terms={terms} />
        </p>
      )}
      {terms.length > 0 && (
        <p class="terms">
          Matched:{' '}
          {terms.map((t) => (
            <code key={t}>{t}</code>
          ))}
        </p>
      )}
      {item.sources.length > 0 && (
        <details class="sources">
          <summary>
            {item.sources.length} other source{item.sources.length === 1 ? '' : 's'}
          </summary>
          <ul>
            {item.sources.map((s) => (
              <li key={s.id}>
                <a href={s.url} rel="noopener noreferrer" target="_blank" dir="auto">
                  {s.title || s.url}
                </a>{' '}
                <span class="meta" dir="auto">
                  {s.feedTitle}
                  {s.language && <span class="lang">{s.language}</span>}
                </span>
              </li>
            ))}
          </ul>
        </details>
      )}
      {item.contentHtml && (
        <div>
          <button type="button" class="link" aria-expanded={open} onClick={() => setOpen(!open)}>
            {open ? 'Hide the article' : 'Show the article'}
          </button>
          {/* Sanitized by the service (src/pipeline/html.ts); the page's CSP runs no inline script. */}
          {open && <div class="content" dir="auto" dangerouslySetInnerHTML={{ __html: item.contentHtml }} />}
        </div>
      )}
    </article>
  );
}
