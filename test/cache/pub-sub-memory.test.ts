import { MemoryPubSub } from '../../src/cache/pub-sub-memory.js';
import { pubSubContract } from '../contracts/pub-sub-contract.js';

pubSubContract('memory', async () => {
  // One process: both "instances" share the bus.
  const bus = new MemoryPubSub();
  return { a: bus, b: bus, cleanup: async () => undefined };
});
