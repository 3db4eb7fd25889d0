import { useEffect, useState } from 'preact/hooks';

/** The web app's addresses (the server answers its page at each: src/api/web-app.ts). */
export type Route =
  | { page: 'home' }
  | { page: 'topic'; slug: string }
  | { page: 'edit'; slug: string }
  | { page: 'new' }
  | { page: 'sources' }
  | { page: 'search'; q: string }
  | { page: 'sign-in'; next: string }
  | { page: 'missing' };

export function routeOf(location: Location): Route {
  const path = location.pathname;
  const params = new URLSearchParams(location.search);
  let m: RegExpExecArray | null;
  if (path === '/') return { page: 'home' };
  if ((m = /^\/topic\/([a-z0-9-]{1,63})$/.exec(path))) return { page: 'topic', slug: m[1]! };
  if ((m = /^\/topic\/([a-z0-9-]{1,63})\/edit$/.exec(path))) return { page: 'edit', slug: m[1]! };
  if (path === '/new-topic') return { page: 'new' };
  if (path === '/sources') return { page: 'sources' };
  if (path === '/search') return { page: 'search', q: params.get('q') ?? '' };
  if (path === '/sign-in') return { page: 'sign-in', next: params.get('next') ?? '/' };
  return { page: 'missing' };
}

const NAVIGATED = 'topicwire:navigated';

/** Goes to an address of the app without loading the page again. */
export function navigate(href: string, { replace = false } = {}): void {
  if (replace) history.replaceState(null, '', href);
  else history.pushState(null, '', href);
  window.dispatchEvent(new Event(NAVIGATED));
  window.scrollTo(0, 0);
}

/** The current route, following links, the back button and navigate(). */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => routeOf(window.location));
  useEffect(() => {
    const update = () => setRoute(routeOf(window.location));
    window.addEventListener('popstate', update);
    window.addEventListener(NAVIGATED, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(NAVIGATED, update);
    };
  }, []);
  return route;
}

/** Clicks on links to the app's own pages stay in the app (new tabs and modified clicks do not). */
export function interceptLinks(): void {
  document.addEventListener('click', (event) => {
    const a = (event.target as Element | null)?.closest('a');
    if (!a || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
    if (a.target || a.hasAttribute('download') || a.origin !== window.location.origin) return;
    if (routeOf(a as unknown as Location).page === 'missing') return;
    event.preventDefault();
    navigate(a.pathname + a.search);
  });
}
