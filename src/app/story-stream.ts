import { itemsInTopic, type ItemWithTopics } from '../db/items.repository.js';
import { lastStoryEventId, storyEventsAfter, type StoryEvent } from '../db/push.repository.js';
import type { TopicRow } from '../db/schema.js';
import { getTopicById } from '../db/topics.repository.js';
import { mayRead, type Viewer } from './access.js';
import type { AppContext } from './context.js';
import { asSeenBy } from './items.js';

/** A story as a live stream sends it: the event's id (for Last-Event-ID) and the story's item. */
export interface StoryMessage {
  id: number;
  item: ItemWithTopics;
}

/** One open stream: what it reads, who reads it, where its messages go. */
export interface StoryListener {
  topic: TopicRow;
  viewer: Viewer;
  send(message: StoryMessage): void;
  /** The stream must end: the viewer may no longer read the topic, its catch-up failed, or we stop. */
  end(reason: string): void;
}

interface Open extends StoryListener {
  /** The last event id given to it (sent, or skipped as not its topic's). */
  last: number;
  /** Its work in order: the catch-up first, then each batch the poller found. */
  chain: Promise<void>;
  closed: boolean;
}

const BATCH = 500;

/**
 * The live streams of one API process, fed from the topics' story log (topic_events) in the
 * database, so that every process sends the same events under the same ids and a client resumes
 * from Last-Event-ID in any of them, after any restart. One poller a process reads the log's new
 * events (every STREAM_POLL_MS while a stream is open) and hands each stream those of its topic; a
 * stream resumed from an older id first reads its own backlog up to where the poller was. The log
 * is appended in commit order (src/db/push.repository.ts), so reading "after id n" misses nothing.
 */
export class StoryStream {
  private readonly open = new Set<Open>();
  /** The newest event id the poller has handed out (null until the first stream opens). */
  private cursor: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  private polling = false;

  constructor(private readonly ctx: AppContext) {}

  get size(): number {
    return this.open.size;
  }

  /**
   * Opens a stream of `topic`'s new stories after event `afterId` (from now on when null). Returns
   * its close. The caller checked that the viewer may read the topic.
   */
  async listen(listener: StoryListener, afterId: number | null): Promise<() => void> {
    if (this.cursor === null) this.cursor = await lastStoryEventId(this.ctx.db);
    const upTo = this.cursor;
    const entry: Open = { ...listener, last: afterId ?? upTo, chain: Promise.resolve(), closed: false };
    if (afterId !== null && afterId < upTo) entry.chain = this.catchUp(entry, upTo);
    this.open.add(entry);
    this.schedule();
    return () => {
      entry.closed = true;
      this.forget(entry);
    };
  }

  /** Ends every stream (the process stops): clients come back, to this process or another. */
  close(): void {
    for (const entry of [...this.open]) this.drop(entry, 'the server is stopping');
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(delayMs = this.ctx.config.STREAM_POLL_MS): void {
    if (this.timer || this.open.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.poll();
    }, delayMs);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    if (this.polling || this.cursor === null) return;
    this.polling = true;
    let full = false;
    try {
      const events = await storyEventsAfter(this.ctx.db, this.cursor, BATCH);
      full = events.length === BATCH;
      // Every stream closed meanwhile: what was read is nobody's.
      if (events.length && this.cursor !== null) {
        this.cursor = events[events.length - 1]!.id;
        // Streams of one topic share the batch's reads of it.
        const reads = new BatchReads(this.ctx);
        for (const entry of this.open) {
          entry.chain = entry.chain.then(() => this.deliver(entry, events, reads));
        }
      }
    } catch (err) {
      // The database away: streams wait (their heartbeats go on) and the next poll reads on.
      this.ctx.log.warn({ err }, 'live streams: reading new stories failed; trying again');
    } finally {
      this.polling = false;
      this.schedule(full ? 0 : undefined);
    }
  }

  /** The backlog of a resumed stream, read page by page, up to where the poller was when it opened. */
  private async catchUp(entry: Open, upTo: number): Promise<void> {
    try {
      for (;;) {
        const events = await storyEventsAfter(this.ctx.db, entry.last, BATCH, {
          topicId: entry.topic.id,
          untilId: upTo,
        });
        await this.deliver(entry, events, new BatchReads(this.ctx));
        if (events.length < BATCH) break;
      }
      entry.last = Math.max(entry.last, upTo);
    } catch (err) {
      this.ctx.log.warn({ err, topic: entry.topic.slug }, 'live stream: its backlog could not be read; it ends');
      this.drop(entry, 'the backlog could not be read');
    }
  }

  /** Sends the events of the entry's topic that it has not had, after checking it may still read it. */
  private async deliver(entry: Open, events: StoryEvent[], reads: BatchReads): Promise<void> {
    if (entry.closed) return;
    const mine = events.filter((e) => e.topicId === entry.topic.id && e.id > entry.last);
    if (mine.length === 0) return;
    // The topic as it is now: turned private, its key replaced, or deleted since the stream opened.
    const topic = await reads.topic(entry.topic.id);
    if (!topic || !mayRead(topic, entry.viewer)) {
      this.drop(entry, topic ? 'the topic is not readable with these credentials any more' : 'the topic was deleted');
      return;
    }
    const items = await reads.items(topic.id, events);
    const seen = asSeenBy(entry.viewer, topic);
    for (const event of mine) {
      const item = items.get(event.itemId);
      // An item pruned or untagged since has nothing to show; its id still moves the stream on.
      if (item) entry.send({ id: event.id, item: seen(item) });
      entry.last = event.id;
    }
  }

  private drop(entry: Open, reason: string): void {
    if (entry.closed) return;
    entry.closed = true;
    this.forget(entry);
    entry.end(reason);
  }

  /** With no stream left the poller stops, and the next stream starts from the log's end then. */
  private forget(entry: Open): void {
    this.open.delete(entry);
    if (this.open.size === 0) this.cursor = null;
  }
}

/** A batch's reads, made once for all the streams that need them. */
class BatchReads {
  private readonly topics = new Map<number, Promise<TopicRow | undefined>>();
  private readonly itemsOf = new Map<number, Promise<Map<number, ItemWithTopics>>>();

  constructor(private readonly ctx: AppContext) {}

  topic(id: number): Promise<TopicRow | undefined> {
    let found = this.topics.get(id);
    if (!found) this.topics.set(id, (found = getTopicById(this.ctx.db, id)));
    return found;
  }

  /** The items of the batch's events of a topic, all of them (streams of it may have seen some already). */
  items(topicId: number, events: StoryEvent[]): Promise<Map<number, ItemWithTopics>> {
    let found = this.itemsOf.get(topicId);
    if (!found) {
      const ids = events.filter((e) => e.topicId === topicId).map((e) => e.itemId);
      found = itemsInTopic(this.ctx.db, topicId, ids).then((rows) => new Map(rows.map((i) => [i.id, i])));
      this.itemsOf.set(topicId, found);
    }
    return found;
  }
}
