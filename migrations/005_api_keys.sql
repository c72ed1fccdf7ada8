-- Game-server keys (README "Game-server keys"): an authoritative game server submits scores for its
-- players with `Authorization: ApiKey <key>` instead of the client's HMAC, whose key ships in every build.

CREATE TABLE api_keys (
  -- The public part of the key (`sbk_<id>_<secret>`): 16 hex characters.
  id           text COLLATE "C" PRIMARY KEY CHECK (id ~ '^[0-9a-f]{16}$'),
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  -- A subset of scores:write and admin, as a JSON array.
  scopes       jsonb NOT NULL,
  -- SHA-256 of the whole key, hex: the key itself is shown once and never stored.
  key_hash     text NOT NULL CHECK (key_hash ~ '^[0-9a-f]{64}$'),
  created_at   timestamptz NOT NULL DEFAULT now(),
  -- Written at most once a minute per key.
  last_used_at timestamptz,
  revoked_at   timestamptz
);

-- Every score written with a key names it: the audit trail of what a server did for whom.
-- Keys are revoked, never deleted, so the reference always resolves.
ALTER TABLE score_history ADD COLUMN api_key_id text COLLATE "C" REFERENCES api_keys (id);
