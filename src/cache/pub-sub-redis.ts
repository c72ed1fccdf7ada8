import type { Redis } from 'ioredis';
import type { MessageListener, PubSub } from './pub-sub.js';

export interface RedisPubSubOptions {
  /** Publishes; a duplicate of it subscribes (a subscribed connection can do nothing else). */
  redis: Redis;
  /** Prefixed to every channel name, like every key. */
  keyPrefix: string;
  onError?: (error: unknown) => void;
}

/** Redis PUBLISH/SUBSCRIBE; the subscriber connection resubscribes by itself after a reconnect. */
export class RedisPubSub implements PubSub {
  private readonly redis: Redis;
  private readonly keyPrefix: string;
  private readonly onError: (error: unknown) => void;
  private subscriber: Redis | null = null;
  private closed = false;
  private readonly channels = new Map<string, Set<MessageListener>>();

  constructor(options: RedisPubSubOptions) {
    this.redis = options.redis;
    this.keyPrefix = options.keyPrefix;
    this.onError = options.onError ?? (() => undefined);
  }

  async publish(channel: string, message: string): Promise<void> {
    try {
      await this.redis.publish(this.keyPrefix + channel, message);
    } catch (error) {
      this.onError(error);
    }
  }

  async subscribe(channel: string, listener: MessageListener): Promise<() => Promise<void>> {
    // After close nothing may open a connection again (it would reconnect forever, holding the process).
    if (this.closed) return async () => undefined;
    const subscriber = this.connection();
    const name = this.keyPrefix + channel;
    let listeners = this.channels.get(name);
    if (!listeners) {
      listeners = new Set();
      this.channels.set(name, listeners);
      await this.subscribed(subscriber, name);
    }
    const subscription: MessageListener = (message) => listener(message);
    listeners.add(subscription);
    return async () => {
      listeners.delete(subscription);
      if (listeners.size === 0 && this.channels.get(name) === listeners) {
        this.channels.delete(name);
        const unsubscribed = subscriber.unsubscribe(name).catch(this.onError);
        // While Redis is unreachable the command would wait in the offline queue (a shutdown must not).
        if (subscriber.status === 'ready') await unsubscribed;
      }
    };
  }

  /**
   * Resolves once Redis confirmed the subscription, or as soon as the connection is found down: the
   * command then waits in the offline queue (ioredis sends it on reconnect), and whoever subscribes
   * (start-up, a broadcaster) must not wait with it.
   */
  private subscribed(subscriber: Redis, name: string): Promise<void> {
    const command = subscriber.subscribe(name);
    if (!['ready', 'connect', 'connecting'].includes(subscriber.status)) {
      command.catch(this.onError);
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        subscriber.off('error', done);
        subscriber.off('close', done);
        resolve();
      };
      subscriber.once('error', done);
      subscriber.once('close', done);
      command.then(done, (error: unknown) => {
        this.onError(error);
        done();
      });
    });
  }

  private connection(): Redis {
    if (this.subscriber) return this.subscriber;
    // Queue while (re)connecting: a subscription must survive an outage, and ioredis
    // re-subscribes every channel after it reconnects.
    const subscriber = this.redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null, commandTimeout: undefined, lazyConnect: false });
    subscriber.on('error', this.onError);
    subscriber.on('message', (channel: string, message: string) => {
      for (const listener of this.channels.get(channel) ?? []) listener(message);
    });
    this.subscriber = subscriber;
    return subscriber;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.channels.clear();
    this.subscriber?.disconnect();
    this.subscriber = null;
  }
}
