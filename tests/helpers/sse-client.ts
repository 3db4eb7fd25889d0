/** A Server-Sent Events message as a client receives it. */
export interface SseMessage {
  id?: string;
  event: string;
  data: string;
}

/**
 * A minimal EventSource over fetch (Node has none that sends headers): reads the stream, parses
 * messages (id, event, data) and counts comments (heartbeats). One connection; no reconnecting:
 * the tests reconnect themselves, with the Last-Event-ID they choose.
 */
export class SseClient {
  readonly messages: SseMessage[] = [];
  comments = 0;
  status = 0;
  ended = false;
  private readonly abort = new AbortController();

  static async open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const client = new SseClient();
    const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: client.abort.signal });
    client.status = res.status;
    if (res.ok && res.body) void client.read(res.body);
    else {
      client.ended = true;
      await res.body?.cancel();
    }
    return client;
  }

  /** The story events received so far, parsed. */
  stories<T = { title: string; storyId: number }>(): { id: number; item: T }[] {
    return this.messages
      .filter((m) => m.event === 'story')
      .map((m) => ({ id: Number(m.id), item: JSON.parse(m.data) as T }));
  }

  /** Waits until `check` holds for what arrived (or throws after timeoutMs). */
  async until(check: (c: this) => boolean, timeoutMs = 10_000, what = 'stream condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check(this)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.messages)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  close(): void {
    this.abort.abort();
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          this.parse(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch {
      /* aborted, or the server went away */
    } finally {
      this.ended = true;
    }
  }

  private parse(block: string): void {
    const message: SseMessage = { event: 'message', data: '' };
    const data: string[] = [];
    let fields = 0;
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) {
        this.comments++;
        continue;
      }
      const colon = line.indexOf(':');
      const [name, value] = colon < 0 ? [line, ''] : [line.slice(0, colon), line.slice(colon + 1).replace(/^ /, '')];
      fields++;
      if (name === 'id') message.id = value;
      else if (name === 'event') message.event = value;
      else if (name === 'data') data.push(value);
    }
    if (fields === 0 || data.length === 0) return; // a comment, or retry: only
    message.data = data.join('\n');
    this.messages.push(message);
  }
}
