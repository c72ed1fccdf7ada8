import type { Principal } from '../auth/principal.js';
import type { UserProvisioner } from '../users/user-provisioner.js';
import type { LiveSocket } from './live-server.js';
import type { PlayerWatch } from './player-watch.js';
import { rooms } from './realtime-events.js';

export interface SocketSignInOptions {
  users: Pick<UserProvisioner, 'ensure'>;
  players: Pick<PlayerWatch, 'signedIn' | 'followRanksTold'>;
}

/**
 * What signing a socket in does, by handshake or by `authenticate`: the user provisioned, known as
 * signed in (here and to the other instances), the socket in its user room (and the admin room).
 * A socket that signs in again as someone else leaves the first user's room.
 */
export function createSocketSignIn(options: SocketSignInOptions): (socket: LiveSocket, principal: Principal) => Promise<void> {
  return async (socket, principal) => {
    await options.users.ensure(principal);
    options.players.signedIn.signedIn(principal.userId);
    const { protocol } = socket.data;
    if (socket.data.userId && socket.data.userId !== principal.userId) await socket.leave(rooms.user(protocol, socket.data.userId));
    if (socket.data.userId === null) options.players.followRanksTold(socket);
    socket.data.userId = principal.userId;
    await socket.join(rooms.user(protocol, principal.userId));
    if (principal.isAdmin && protocol === 'v1') await socket.join(rooms.admin);
  };
}
