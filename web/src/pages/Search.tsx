import { useState } from 'preact/hooks';
import { ItemList } from '../components/ItemList.js';
import { termsOfQuery } from '../components/Highlight.js';
import { navigate } from '../router.js';

/** A search in the rule language: what a topic with that rule would hold. */
export function Search({ q }: { q: string }) {
  const [text, setText] = useState(q);
  return (
    <main id="main">
      <h1>Search</h1>
      <form
        role="search"
        class="search"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(`/search?q=${encodeURIComponent(text.trim())}`);
        }}
      >
        <label for="q">Words, "phrases", prefix*, AND, OR, -NOT, (groups), title:…</label>
        <input
          id="q"
          name="q"
          type="search"
          dir="auto"
          value={text}
          onInput={(e) => setText((e.target as HTMLInputElement).value)}
        />
        <button type="submit">Search</button>
      </form>
      {q && <ItemList params={{ q }} termsOf={() => termsOfQuery(q)} empty={`Nothing matches ${q}.`} />}
    </main>
  );
}
