import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, type Session } from './api.js';
import { Editor } from './pages/Editor.js';
import { Home } from './pages/Home.js';
import { Search } from './pages/Search.js';
import { SignIn } from './pages/SignIn.js';
import { Sources } from './pages/Sources.js';
import { TopicPage } from './pages/Topic.js';
import { interceptLinks, navigate, useRoute, type Route } from './router.js';
import { can, SessionContext } from './session.js';
import './styles.css';

function Page({ route, session }: { route: Route; session: Session | null | undefined }) {
  const needsWrite = route.page === 'new' || route.page === 'edit';
  if (needsWrite && session !== undefined && !can(session, 'write')) {
    return (
      <main id="main">
        <h1>Sign in to write</h1>
        <p>
          Writing topics needs a token with the write scope:{' '}
          <a href={`/sign-in?next=${encodeURIComponent(location.pathname)}`}>sign in</a>.
        </p>
      </main>
    );
  }
  switch (route.page) {
    case 'home':
      return <Home />;
    case 'topic':
      return <TopicPage slug={route.slug} />;
    case 'edit':
      return <Editor slug={route.slug} />;
    case 'new':
      return <Editor />;
    case 'sources':
      return <Sources />;
    case 'search':
      return <Search q={route.q} />;
    case 'sign-in':
      return <SignIn next={route.next} />;
    case 'missing':
      return (
        <main id="main">
          <h1>Not found</h1>
          <p>
            No page here: <a href="/">the topics</a>.
          </p>
        </main>
      );
  }
}

/** The search box on every page: the rule language, answered on the search page. */
function HeaderSearch() {
  const [q, setQ] = useState('');
  return (
    <form
      role="search"
      class="header-search"
      onSubmit={(e) => {
        e.preventDefault();
        if (q.trim()) navigate(`/search?q=${encodeURIComponent(q.trim())}`);
      }}
    >
      <input
        type="search"
        aria-label="Search stories (rule language)"
        placeholder='Search: words, "phrases", -not'
        dir="auto"
        value={q}
        onInput={(e) => setQ((e.target as HTMLInputElement).value)}
      />
    </form>
  );
}

function App() {
  const route = useRoute();
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  useEffect(() => {
    api<{ session: Session | null }>('GET', '/api/v1/session')
      .then((r) => setSession(r.session))
      .catch(() => setSession(null));
  }, []);
  const signOut = async () => {
    await api('DELETE', '/api/v1/session');
    setSession(null);
    navigate('/');
  };
  return (
    <SessionContext.Provider value={{ session, setSession }}>
      <a class="skip" href="#main">
        Skip to the content
      </a>
      <header class="top">
        <a class="brand" href="/">
          topicwire
        </a>
        <nav aria-label="Main">
          <a href="/" aria-current={route.page === 'home' ? 'page' : undefined}>
            Topics
          </a>
          <a href="/search" aria-current={route.page === 'search' ? 'page' : undefined}>
            Search
          </a>
          <a href="/sources" aria-current={route.page === 'sources' ? 'page' : undefined}>
            Sources
          </a>
        </nav>
        <HeaderSearch />
        <div class="who">
          {session ? (
            <>
              <span class="meta">Signed in: {session.name}</span>
              <button type="button" onClick={signOut}>
                Sign out
              </button>
            </>
          ) : (
            session === null && (
              <a class="button" href={`/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`}>
                Sign in
              </a>
            )
          )}
        </div>
      </header>
      <Page route={route} session={session} />
    </SessionContext.Provider>
  );
}

interceptLinks();
render(<App />, document.getElementById('app')!);
