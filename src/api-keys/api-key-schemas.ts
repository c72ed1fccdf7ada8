import { Type, type Static } from '@sinclair/typebox';
import { SubmissionBody } from '../boards/board-schemas.js';
import { UserIdParam } from '../http/path-params.js';
import { ScoreUpdateBody } from '../scores/score-schemas.js';
import { API_KEY_NAME_MAX_LENGTH, API_KEY_SCOPES } from './api-key.js';

const Scope = Type.Union(API_KEY_SCOPES.map((scope) => Type.Literal(scope)), {
  description: '`scores:write`: the /api/v1/server routes; `admin`: every admin route',
});

export const CreateApiKeyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: API_KEY_NAME_MAX_LENGTH, description: 'What the key is for, e.g. "eu-west game servers"' }),
    scopes: Type.Array(Scope, { minItems: 1, maxItems: API_KEY_SCOPES.length, uniqueItems: true }),
  },
  { additionalProperties: false },
);
export type CreateApiKeyBody = Static<typeof CreateApiKeyBody>;

export const ApiKeyParams = Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{16}$', description: 'The key id (the part after sbk_)' }) });

const iso = Type.String({ format: 'date-time' });
const isoOrNull = Type.Union([iso, Type.Null()]);

export const ApiKeyData = Type.Object({
  id: Type.String(),
  name: Type.String(),
  scopes: Type.Array(Scope),
  createdAt: iso,
  lastUsedAt: Type.Union([iso, Type.Null()], { description: 'Written at most once a minute' }),
  revokedAt: isoOrNull,
});

export const CreatedApiKeyData = Type.Object({
  id: Type.String(),
  name: Type.String(),
  scopes: Type.Array(Scope),
  key: Type.String({ description: 'Shown in this answer only: the service stores its SHA-256, never the key' }),
  createdAt: iso,
});

export const ApiKeysData = Type.Object({ keys: Type.Array(ApiKeyData) });

const ServerPlayer = { userId: { ...UserIdParam, description: 'The player the score is for (provisioned on first sight, as a token would)' } };

// The client's bodies without their signature (the key is the proof), with the player named.
const { clientSignature: _updateSignature, ...updateFields } = ScoreUpdateBody.properties;
export const ServerScoreUpdateBody = Type.Object({ ...ServerPlayer, ...updateFields }, { additionalProperties: false });
export type ServerScoreUpdateBody = Static<typeof ServerScoreUpdateBody>;

const { clientSignature: _submissionSignature, ...submissionFields } = SubmissionBody.properties;
export const ServerSubmissionBody = Type.Object({ ...ServerPlayer, ...submissionFields }, { additionalProperties: false });
export type ServerSubmissionBody = Static<typeof ServerSubmissionBody>;
