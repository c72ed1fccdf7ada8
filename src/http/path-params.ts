import { Type } from '@sinclair/typebox';
import { USER_ID_MAX_LENGTH, USER_ID_PATTERN } from '../user-id.js';

/** `:userId` in a path: the id a token carries (`userId` or `sub` claim). */
export const UserIdParam = Type.String({
  pattern: USER_ID_PATTERN.source,
  maxLength: USER_ID_MAX_LENGTH,
  description: 'The user id of the token (`userId` or `sub` claim): 1 to 255 printable ASCII characters',
});

export const UserIdParams = Type.Object({ userId: UserIdParam });
