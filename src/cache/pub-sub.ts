/** Receives the messages of one channel. */
export type MessageListener = (message: string) => void;

/**
 * Fire-and-forget messages between the instances of one deployment (the `leaderboard:changed`
 * channel). Implementations: `pub-sub-memory.ts` (one process) and `pub-sub-redis.ts`, both held to
 * `test/contracts/pub-sub-contract.ts`. Delivery is best effort: a message published while Redis is
 * unreachable is lost, so listeners must treat a message as "look again", never as the state itself.
 */
export interface PubSub {
  /** Publishes to every subscriber of `channel`, this instance's included. Never throws. */
  publish(channel: string, message: string): Promise<void>;
  /** Calls `listener` for each message on `channel`; the returned function unsubscribes. */
  subscribe(channel: string, listener: MessageListener): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
