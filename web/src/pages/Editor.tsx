import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, type Item, type MatchedTerm, type Topic } from '../api.js';
import { Loading } from '../components/Notice.js';
import { StoryCard } from '../components/StoryCard.js';
import { navigate } from '../router.js';

interface Preview {
  examined: number;
  matched: number;
  matches: { item: Item; terms: MatchedTerm[] }[];
}

// Typing pauses shorter than this do not ask; the answer then takes ~0.1 s (docs/benchmarks.md, "The web app").
const PREVIEW_DELAY_MS = 150;
const PREVIEW_SHOWN = 20;

/**
 * A topic written or changed with a live preview: as the rule is typed, the stored items it
 * would match (or the mistake, at its place in the rule); saving starts the re-tag of the past,
 * followed as a progress bar until done.
 */
export function Editor({ slug }: { slug?: string }) {
  const [form, setForm] = useState({ slug: '', name: '', rule: '', visibility: 'public' as Topic['visibility'] });
  const [loaded, setLoaded] = useState(!slug);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [ruleError, setRuleError] = useState<{ message: string; position?: number } | null>(null);
  const [saveError, setSaveError] = useState('');
  const [saved, setSaved] = useState<Topic | null>(null);
  const asked = useRef(0);

  useEffect(() => {
    if (!slug) return;
    api<{ topic: Topic }>('GET', `/api/v1/topics/${slug}`).then(({ topic }) => {
      setForm({ slug: topic.slug, name: topic.name, rule: topic.rule, visibility: topic.visibility });
      setLoaded(true);
    });
  }, [slug]);

  // The preview follows the rule soon after the last keystroke; an older answer never overwrites a newer one.
  useEffect(() => {
    const rule = form.rule.trim();
    if (!rule) {
      setPreview(null);
      setRuleError(null);
      return;
    }
    const mine = ++asked.current;
    const timer = setTimeout(async () => {
      try {
        const answer = await api<Preview>('POST', '/api/v1/topics/preview', { rule, limit: 1000 });
        if (mine !== asked.current) return;
        setPreview(answer);
        setRuleError(null);
      } catch (err) {
        if (mine !== asked.current) return;
        setPreview(null);
        setRuleError(
          err instanceof ApiError
            ? { message: err.message, position: err.details?.position }
            : { message: String(err) },
        );
      }
    }, PREVIEW_DELAY_MS);
    return () => clearTimeout(timer);
  }, [form.rule]);

  // After saving: the re-tag's progress, until done.
  useEffect(() => {
    if (!saved || saved.retag.status === 'done') return;
    const timer = setTimeout(async () => {
      const { topic } = await api<{ topic: Topic }>('GET', `/api/v1/topics/${saved.slug}`);
      setSaved(topic);
    }, 400);
    return () => clearTimeout(timer);
  }, [saved]);

  const set = (field: keyof typeof form) => (e: Event) =>
    setForm({ ...form, [field]: (e.target as HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement).value });

  const save = async (e: Event) => {
    e.preventDefault();
    setSaveError('');
    try {
      const body = { name: form.name, rule: form.rule, visibility: form.visibility };
      const { topic } = slug
        ? await api<{ topic: Topic }>('PUT', `/api/v1/topics/${slug}`, body)
        : await api<{ topic: Topic }>('POST', '/api/v1/topics', { ...body, slug: form.slug });
      setSaved(topic);
    } catch (err) {
      setSaveError(err instanceof ApiError ? err.message : String(err));
    }
  };

  const remove = async () => {
    if (!slug || !confirm(`Delete the topic "${form.name}"? Its feeds and tags go with it.`)) return;
    try {
      await api('DELETE', `/api/v1/topics/${slug}`);
      navigate('/');
    } catch (err) {
      setSaveError(err instanceof ApiError ? err.message : String(err));
    }
  };

  if (!loaded) return <Loading />;
  return (
    <main id="main">
      <h1>{slug ? `Edit ${form.name}` : 'New topic'}</h1>
      <form class="editor" onSubmit={save}>
        {!slug && (
          <>
            <label for="slug">Address (lower-case letters, digits and -)</label>
            <input id="slug" required pattern="[a-z0-9][a-z0-9-]{0,62}" value={form.slug} onInput={set('slug')} />
          </>
        )}
        <label for="name">Name</label>
        <input id="name" required dir="auto" value={form.name} onInput={set('name')} />
        <label for="rule">Rule</label>
        <textarea
          id="rule"
          required
          dir="auto"
          rows={3}
          value={form.rule}
          onInput={set('rule')}
          aria-describedby="rule-help rule-status"
          aria-invalid={ruleError ? true : undefined}
        />
        <p id="rule-help" class="meta">
          Words, "phrases", prefix*, AND, OR, -NOT, (groups), fields: title: summary: content: author: category: url:
          feed: lang:
        </p>
        <label for="visibility">Who may read it</label>
        <select id="visibility" value={form.visibility} onChange={set('visibility')}>
          <option value="public">Everyone (public)</option>
          <option value="private">Signed-in readers (private)</option>
        </select>
        <div class="actions">
          <button type="submit">Save</button>
          {slug && (
            <button type="button" class="danger" onClick={remove}>
              Delete
            </button>
          )}
        </div>
        {saveError && (
          <p role="alert" class="error">
            {saveError}
          </p>
        )}
      </form>
      {saved && <RetagProgress topic={saved} />}
      <section id="rule-status" class="preview" aria-live="polite">
        <h2>Preview</h2>
        {ruleError && <RuleError rule={form.rule.trim()} error={ruleError} />}
        {preview && (
          <>
            <p class="preview-count">
              {preview.matched} of the newest {preview.examined} stored items match
            </p>
            {preview.matches.slice(0, PREVIEW_SHOWN).map((m) => (
              <StoryCard key={m.item.id} item={m.item} terms={m.terms.map((t) => t.term)} />
            ))}
          </>
        )}
        {!ruleError && !preview && <p class="meta">Type a rule to see what it matches.</p>}
      </section>
    </main>
  );
}

/** The rule's mistake, and the rule with a mark at its place. */
function RuleError({ rule, error }: { rule: string; error: { message: string; position?: number } }) {
  const at = error.position;
  return (
    <div role="alert" class="rule-error">
      <p class="error">{error.message}</p>
      {at !== undefined && (
        <pre>
          <code>
            {rule.slice(0, at)}
            <mark class="at" aria-label={`position ${at}`}>
              {rule.slice(at, at + 1) || ' '}
            </mark>
            {rule.slice(at + 1)}
          </code>
        </pre>
      )}
    </div>
  );
}

/** How far the re-tag of the stored items has come. */
function RetagProgress({ topic }: { topic: Topic }) {
  const { status, items, total } = topic.retag;
  const max = total ?? Math.max(items, 1);
  return (
    <section class="progress" aria-live="polite">
      <label for="retag">
        {status === 'done'
          ? `Saved: ${items} stored items tagged again.`
          : status === 'pending'
            ? 'Saved: the re-tag of stored items is about to start…'
            : `Tagging stored items again: ${items} of ${total ?? '?'}`}
      </label>
      <progress id="retag" max={max} value={status === 'done' ? max : items} />
      {status === 'done' && (
        <p>
          <a href={`/topic/${topic.slug}`}>Read the topic</a>
        </p>
      )}
    </section>
  );
}
