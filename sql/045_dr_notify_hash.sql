-- Issue 9: the notify URL griot subscribed, as a SHA-256 of its
-- normalised form (scheme and host lower-cased, default port dropped).
-- notify_url keeps the path secret masked; the digest lets 'griot dr
-- show' compare Orange's URL with the one subscribed even when the
-- secret came inside the URL and no dr_secret is configured.
ALTER TABLE dr_subscriptions ADD COLUMN IF NOT EXISTS notify_url_sha256 text
	CHECK (notify_url_sha256 ~ '^[0-9a-f]{64}$');
