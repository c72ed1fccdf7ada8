-- Boards (DESIGN section 11): leaderboards with their own rules, periods and entries.
-- `global` is a board like any other; the scores of earlier versions become its entries.

CREATE TABLE boards (
  id           text COLLATE "C" PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9_-]{0,63}$'),
  title        text NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
  sort_order   text NOT NULL DEFAULT 'desc' CHECK (sort_order IN ('desc', 'asc')),
  operator     text NOT NULL DEFAULT 'increment' CHECK (operator IN ('increment', 'best', 'latest')),
  -- NULL (never), daily, weekly, monthly, or a 5-field cron expression, in `timezone`.
  reset        text,
  timezone     text NOT NULL DEFAULT 'UTC',
  -- The action types that feed the board: a JSON array, or "all" (global).
  actions      jsonb NOT NULL DEFAULT '[]'::jsonb,
  min_score    bigint NOT NULL DEFAULT 0,
  max_score    bigint NOT NULL DEFAULT 9007199254740991,
  starts_at    timestamptz,
  ends_at      timestamptz,
  keep_periods integer CHECK (keep_periods >= 0),
  metadata     jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now()
);

-- Bumped by every change to the boards table, in the same transaction: every instance polls it
-- (one primary-key read) to learn of boards created, changed or deleted elsewhere.
CREATE TABLE board_catalogue (
  id      boolean PRIMARY KEY DEFAULT true CHECK (id),
  version bigint NOT NULL
);
INSERT INTO board_catalogue (id, version) VALUES (true, 1);

INSERT INTO boards (id, title, actions) VALUES ('global', 'Global', '"all"'::jsonb);

CREATE TABLE board_entries (
  board_id     text COLLATE "C" NOT NULL REFERENCES boards (id) ON DELETE CASCADE,
  -- `all` for a board that never resets, else the period's start (UTC, ISO 8601 with milliseconds).
  period_id    text COLLATE "C" NOT NULL,
  user_id      text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  score        bigint NOT NULL CHECK (score BETWEEN -9007199254740991 AND 9007199254740991),
  -- The score as the board orders it, ascending: the score for `asc`, minus it for `desc`. One index
  -- then serves both orders, and a keyset cursor is one row comparison.
  order_score  bigint NOT NULL,
  -- When the entry reached its score: the tie-break (who got there first).
  last_updated timestamptz NOT NULL,
  -- Grows with every change of the entry: a rank index refuses an older write that arrives late.
  version      bigint NOT NULL DEFAULT 1,
  PRIMARY KEY (board_id, period_id, user_id)
);

CREATE INDEX board_entries_order_idx ON board_entries (board_id, period_id, order_score, last_updated, user_id);
-- Erasure (the users foreign key cascades) and the export read a player's entries on every board.
CREATE INDEX board_entries_user_idx ON board_entries (user_id);

INSERT INTO board_entries (board_id, period_id, user_id, score, order_score, last_updated, version)
  SELECT 'global', 'all', user_id, score, -score, last_updated, total_actions FROM scores;

-- Direct submissions are audited with their board; a first submission has no entry before it.
ALTER TABLE score_history
  ADD COLUMN board_id text COLLATE "C",
  ADD COLUMN period_id text COLLATE "C",
  ADD COLUMN submitted_score bigint;
ALTER TABLE score_history ALTER COLUMN score_before DROP NOT NULL;
