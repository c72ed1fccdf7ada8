-- Scoreboard schema, version 1. Runs on PostgreSQL 13+ and PGlite alike: keep to SQL that both accept.
-- Ids compare byte-wise (COLLATE "C") so that SQL, Redis and memory order ties the same way.

CREATE TABLE users (
  id            text COLLATE "C" PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 128),
  username      text,
  email         text,
  status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'frozen')),
  frozen_reason text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE scores (
  user_id        text COLLATE "C" PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  -- Bounded to 2^53 - 1 so that every rank index holds it exactly.
  score          bigint NOT NULL DEFAULT 0 CHECK (score >= 0 AND score <= 9007199254740991),
  -- When the player reached this score (milliseconds): the leaderboard's tie-break.
  last_updated   timestamptz NOT NULL,
  total_actions  bigint NOT NULL DEFAULT 0,
  first_action   timestamptz,
  last_action    timestamptz,
  -- Per action type, the epoch milliseconds of the last accepted update: minDuration is checked
  -- against it under the row lock, so concurrent requests cannot slip past it.
  action_last_at jsonb NOT NULL DEFAULT '{}'::jsonb
);

CREATE INDEX scores_rank_idx ON scores (score DESC, last_updated ASC, user_id ASC);

CREATE TABLE score_history (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id         text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- Unique: what makes a replay impossible even when every cache missed it.
  action_id       uuid NOT NULL UNIQUE,
  action_type     text NOT NULL,
  score_increment integer NOT NULL,
  score_before    bigint NOT NULL,
  score_after     bigint NOT NULL,
  ip_address      inet,
  user_agent      text,
  created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX score_history_user_idx ON score_history (user_id, id DESC);

CREATE TABLE suspicious_activity (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  user_id    text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  reason     text NOT NULL,
  details    jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX suspicious_activity_created_idx ON suspicious_activity (created_at DESC, id DESC);
CREATE INDEX suspicious_activity_user_idx ON suspicious_activity (user_id, created_at DESC);
