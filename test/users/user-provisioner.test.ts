import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Principal } from '../../src/auth/principal.js';
import type { UserStore } from '../../src/db/user-store.js';
import { UserProvisioner } from '../../src/users/user-provisioner.js';

const player = (userId: string, username: string | null): Principal => ({ userId, username, email: null, roles: [], isAdmin: false });

describe('UserProvisioner', () => {
  it('writes a player named without claims only when it has not seen them, keeping what their token wrote', async () => {
    const written: unknown[] = [];
    const users = new UserProvisioner({ store: { ensureUsers: async (profiles: unknown[]) => void written.push(...profiles) } as unknown as UserStore });
    assert.deepEqual(users.pending(player('ann', null)), { id: 'ann', username: null, email: null }, 'a new player is written');
    await users.ensure(player('ann', 'Ann'));
    assert.equal(users.pending(player('ann', null)), null, 'a seen player: nothing to refresh');
    assert.equal(users.pending(player('ann', 'Ann')), null, 'and their token is still remembered');
    assert.deepEqual(users.pending(player('ann', 'Annie')), { id: 'ann', username: 'Annie', email: null });
    assert.equal(written.length, 1);
  });
});
