-- User ids are what identity providers issue as `sub`: OpenID Connect allows up to 255 ASCII characters.
ALTER TABLE users DROP CONSTRAINT IF EXISTS users_id_check;
ALTER TABLE users ADD CONSTRAINT users_id_check CHECK (length(id) BETWEEN 1 AND 255);
