import { MemoryRankIndex } from '../../src/boards/rank-index-memory.js';
import { rankIndexContract } from '../contracts/rank-index-contract.js';

rankIndexContract('memory', async () => ({ index: new MemoryRankIndex(), cleanup: async () => {} }));
