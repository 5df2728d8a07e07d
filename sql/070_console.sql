-- The web console (console/, docs/console.md): its users, their sessions,
-- login attempts (throttling) and the audit log.  The rules the console
-- enforces on these (who may log in, when a session ends, how many failed
-- attempts are allowed) live here.

CREATE TABLE console_users (
	id              bigserial PRIMARY KEY,
	name            text NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9._@-]{1,64}$'),
	role            text NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
	password_hash   text NOT NULL,               -- Argon2id, encoded form
	lang            text CHECK (lang IN ('fr', 'en')), -- NULL: the browser's
	disabled        boolean NOT NULL DEFAULT false,
	created_at      timestamptz NOT NULL DEFAULT now(),
	updated_at      timestamptz NOT NULL DEFAULT now()
);

-- A session: the cookie holds a random id, only its SHA-256 is stored.
CREATE TABLE console_sessions (
	id_hash         text PRIMARY KEY,
	user_id         bigint NOT NULL REFERENCES console_users ON DELETE CASCADE,
	address         text NOT NULL,
	created_at      timestamptz NOT NULL DEFAULT now(),
	last_seen       timestamptz NOT NULL DEFAULT now(),
	expires_at      timestamptz NOT NULL
);
CREATE INDEX console_sessions_user ON console_sessions (user_id);

CREATE TABLE console_login_attempts (
	id              bigserial PRIMARY KEY,
	at              timestamptz NOT NULL DEFAULT now(),
	username        text NOT NULL,
	address         text NOT NULL,
	ok              boolean NOT NULL
);
CREATE INDEX console_login_attempts_user ON console_login_attempts (username, at);
CREATE INDEX console_login_attempts_addr ON console_login_attempts (address, at);

-- Who did what, when, from where.  Append-only: never holds a secret.
CREATE TABLE console_audit (
	id              bigserial PRIMARY KEY,
	at              timestamptz NOT NULL DEFAULT now(),
	username        text,                         -- NULL: not logged in
	address         text NOT NULL,
	action          text NOT NULL,
	target          text,
	detail          text
);
CREATE INDEX console_audit_at ON console_audit (at);

-- The console's imports: where the rejects file of each one is kept.
CREATE TABLE console_imports (
	import_id       bigint PRIMARY KEY REFERENCES imports ON DELETE CASCADE,
	rejects_path    text,
	filename        text NOT NULL,
	username        text NOT NULL
);

-- Throttling: failed attempts in the last 15 minutes, for the user name
-- (5 allowed) and for the address (20 allowed).  Returns the seconds to
-- wait before the next attempt, 0 when one is allowed now.
CREATE FUNCTION console_login_wait(p_user text, p_addr text) RETURNS integer
LANGUAGE sql STABLE AS $$
	WITH u AS (
		SELECT at FROM console_login_attempts
		 WHERE username = p_user AND NOT ok AND at > now() - interval '15 minutes'
		 ORDER BY at DESC OFFSET 4 LIMIT 1
	), a AS (
		SELECT at FROM console_login_attempts
		 WHERE address = p_addr AND NOT ok AND at > now() - interval '15 minutes'
		 ORDER BY at DESC OFFSET 19 LIMIT 1
	)
	SELECT greatest(0,
		coalesce(ceil(extract(epoch FROM (SELECT at FROM u) + interval '15 minutes' - now())), 0),
		coalesce(ceil(extract(epoch FROM (SELECT at FROM a) + interval '15 minutes' - now())), 0))::integer
$$;

-- The user of a live session, sliding its expiry: NULL when the session is
-- unknown, expired, or its user disabled (a disabled user's sessions end).
CREATE FUNCTION console_session_user(p_id_hash text, p_idle interval, p_max interval)
RETURNS TABLE (user_id bigint, name text, role text, lang text)
LANGUAGE sql AS $$
	UPDATE console_sessions s
	   SET last_seen = now(), expires_at = least(now() + p_idle, s.created_at + p_max)
	  FROM console_users u
	 WHERE s.id_hash = p_id_hash AND u.id = s.user_id
	   AND s.expires_at > now() AND NOT u.disabled
	RETURNING u.id, u.name, u.role, u.lang
$$;

-- Disabling a user ends their sessions at once.
CREATE FUNCTION console_users_disabled() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF NEW.disabled AND NOT OLD.disabled THEN
		DELETE FROM console_sessions WHERE user_id = NEW.id;
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER console_users_disabled AFTER UPDATE OF disabled ON console_users
	FOR EACH ROW EXECUTE FUNCTION console_users_disabled();
