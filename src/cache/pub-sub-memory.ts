import type { MessageListener, PubSub } from './pub-sub.js';

/** Channels within one process: what a single instance without Redis needs. */
export class MemoryPubSub implements PubSub {
  private readonly channels = new Map<string, Set<MessageListener>>();

  async publish(channel: string, message: string): Promise<void> {
    const listeners = this.channels.get(channel);
    if (!listeners) return;
    // Asynchronous like a network hop, so publishers never run listeners re-entrantly.
    queueMicrotask(() => {
      for (const listener of listeners) listener(message);
    });
  }

  async subscribe(channel: string, listener: MessageListener): Promise<() => Promise<void>> {
    let listeners = this.channels.get(channel);
    if (!listeners) {
      listeners = new Set();
      this.channels.set(channel, listeners);
    }
    // A wrapper per subscription, so the same function subscribed twice is two subscriptions.
    const subscription: MessageListener = (message) => listener(message);
    listeners.add(subscription);
    return async () => {
      listeners.delete(subscription);
    };
  }

  async close(): Promise<void> {
    this.channels.clear();
  }
}
