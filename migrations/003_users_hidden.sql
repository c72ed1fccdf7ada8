-- A frozen player can also be hidden: off every board (global included) for reads, ranks and live
-- updates until unfrozen; their entries are kept and come back, unchanged, with the unfreeze.
ALTER TABLE users ADD COLUMN hidden boolean NOT NULL DEFAULT false;
-- Reads subtract the (few) hidden players' entries through it instead of joining every row.
CREATE INDEX users_hidden_idx ON users (id) WHERE hidden;
