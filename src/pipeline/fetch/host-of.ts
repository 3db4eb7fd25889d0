/**
 * The host (with its port unless the scheme's default) a feed URL is fetched from, lower case:
 * what politeness counts by, in the host leases and in the feeds' `host` column.
 */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url.toLowerCase();
  }
}
