-- griot schema, version 1.  See docs/statuses.md for the state machines.

CREATE TABLE campaigns (
	id              bigserial PRIMARY KEY,
	name            text NOT NULL UNIQUE,
	status          text NOT NULL DEFAULT 'draft'
	                CHECK (status IN ('draft', 'scheduled', 'running', 'paused', 'done', 'cancelled')),
	sender_address  text CHECK (sender_address ~ '^tel:\+[0-9]{4,15}$'),
	sender_name     text,
	template        text,
	start_at        timestamptz,
	window_start    time,           -- daily send window, recipients' local time
	window_end      time,
	tz              text NOT NULL DEFAULT 'UTC',
	paused_reason   text,
	created_at      timestamptz NOT NULL DEFAULT now(),
	updated_at      timestamptz NOT NULL DEFAULT now(),
	finished_at     timestamptz
);

-- A campaign paused for one country only (e.g. credit exhausted there).
CREATE TABLE campaign_country_holds (
	campaign_id     bigint NOT NULL REFERENCES campaigns ON DELETE CASCADE,
	country         char(3) NOT NULL,
	reason          text NOT NULL,
	held_at         timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (campaign_id, country)
);

CREATE TABLE imports (
	id              bigserial PRIMARY KEY,
	campaign_id     bigint NOT NULL REFERENCES campaigns ON DELETE CASCADE,
	filename        text NOT NULL,
	sha256          text NOT NULL,
	rows_read       bigint NOT NULL DEFAULT 0,
	imported        bigint NOT NULL DEFAULT 0,
	duplicates      bigint NOT NULL DEFAULT 0,
	suppressed      bigint NOT NULL DEFAULT 0,
	rejected        bigint NOT NULL DEFAULT 0,
	forced          boolean NOT NULL DEFAULT false,
	created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX imports_hash ON imports (campaign_id, sha256);

-- One row per recipient of a campaign.
CREATE TABLE messages (
	id              bigserial PRIMARY KEY,
	campaign_id     bigint NOT NULL REFERENCES campaigns ON DELETE CASCADE,
	import_id       bigint REFERENCES imports ON DELETE SET NULL,
	line_no         bigint,
	msisdn          text NOT NULL CHECK (msisdn ~ '^\+[1-9][0-9]{6,14}$'), -- E.164
	country         char(3) NOT NULL,
	fields          jsonb NOT NULL DEFAULT '{}',   -- personal fields from the CSV
	body            text,                          -- rendered message
	encoding        text CHECK (encoding IN ('GSM7', 'UCS2')),
	segments        smallint,
	send_status     text NOT NULL DEFAULT 'pending'
	                CHECK (send_status IN ('pending', 'sending', 'sent', 'failed', 'unknown')),
	resource_id     text UNIQUE,
	attempts        integer NOT NULL DEFAULT 0,
	claimed_by      text,                          -- sender instance holding it
	next_attempt_at timestamptz,                   -- backoff after a retryable error
	sending_at      timestamptz,                   -- last time it went to 'sending'
	sent_at         timestamptz,                   -- Orange answered 201
	last_error      text,
	delivery_status text CHECK (delivery_status IN ('MessageWaiting', 'DeliveredToNetwork',
	                'DeliveredToTerminal', 'DeliveryUncertain', 'DeliveryImpossible')),
	delivery_at     timestamptz,                   -- time of the receipt that set delivery_status
	final_at        timestamptz,                   -- first final receipt
	created_at      timestamptz NOT NULL DEFAULT now(),
	updated_at      timestamptz NOT NULL DEFAULT now(),
	UNIQUE (campaign_id, msisdn)
);
CREATE INDEX messages_pending ON messages (campaign_id, id) WHERE send_status = 'pending';
CREATE INDEX messages_inflight ON messages (campaign_id) WHERE send_status IN ('sending', 'unknown');

-- Append-only log of every receipt accepted by the receiver.
CREATE TABLE delivery_receipts (
	id              bigserial PRIMARY KEY,
	received_at     timestamptz NOT NULL DEFAULT now(),
	resource_id     text,
	address         text,
	delivery_status text,
	status_valid    boolean NOT NULL DEFAULT true, -- false: not one of the five documented values
	source_addr     inet,
	raw             text NOT NULL,
	message_id      bigint REFERENCES messages ON DELETE SET NULL, -- set once matched
	applied_at      timestamptz
);
CREATE INDEX delivery_receipts_resource ON delivery_receipts (resource_id);
CREATE INDEX delivery_receipts_unmatched ON delivery_receipts (received_at) WHERE message_id IS NULL;

CREATE TABLE suppressions (
	msisdn          text PRIMARY KEY CHECK (msisdn ~ '^\+[1-9][0-9]{6,14}$'),
	reason          text,
	created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE dr_subscriptions (
	id              text PRIMARY KEY,              -- Orange's subscription id
	sender_address  text NOT NULL,
	notify_url      text NOT NULL,
	resource_url    text,
	created_at      timestamptz NOT NULL DEFAULT now(),
	deleted_at      timestamptz
);

-- Shared send rate: every sender books its next slot here, atomically.
CREATE TABLE send_rate (
	name            text PRIMARY KEY,
	rate            double precision NOT NULL CHECK (rate > 0),  -- messages per second
	next_slot       timestamptz NOT NULL DEFAULT now(),
	updated_at      timestamptz NOT NULL DEFAULT now()
);
INSERT INTO send_rate (name, rate) VALUES ('default', 5);
