-- The console's optional second factor (TOTP, RFC 6238, liboath): the
-- active secret (base32), one waiting for its first code while a user
-- enrols, and the last time step used (a code is never accepted twice).
ALTER TABLE console_users
	ADD COLUMN totp_secret text,
	ADD COLUMN totp_pending text,
	ADD COLUMN totp_last_step bigint NOT NULL DEFAULT 0;
