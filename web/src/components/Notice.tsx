/** A page whose data is on its way. */
export function Loading() {
  return (
    <main id="main">
      <p class="loading">Loading…</p>
    </main>
  );
}

/** What an action came to: a status line and an error, each announced to screen readers. */
export function Outcome({ message, error }: { message?: string; error?: string }) {
  return (
    <>
      {message && <p role="status">{message}</p>}
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
    </>
  );
}
