-- The claim rule (which pending messages a sender may take now) and the
-- "is there work left" test, per recipient country:
--   * the campaign is running (its row is share-locked for the claim, so
--     a pause or cancel waits for claims in progress and every claim
--     after it sees it: no row is claimed for a paused campaign);
--   * the country is not held (campaign_country_holds);
--   * the country's send window is open now in the recipient's local time
--     (country_zones, from the E.164 number's country), or in the
--     campaign's window_tz when set (an override);
--   * the row has a body and its retry time (if any) has come.
-- Cost: one index probe per country of the campaign (a loose scan of
-- messages_claim), then an index range per eligible country: rows of held
-- or closed countries and finished rows are never walked, so a claim
-- costs the same whatever their number (issue 10, finding 2).

CREATE INDEX messages_claim ON messages (campaign_id, country, id)
	WHERE send_status = 'pending';
-- Rows waiting for a retry, for "when is the next one due".
CREATE INDEX messages_retry ON messages (campaign_id, next_attempt_at)
	WHERE send_status = 'pending' AND next_attempt_at IS NOT NULL;

-- The time zones of a country's recipients.  A country spanning several
-- zones lists each; its window is open only when open in all of them.
CREATE TABLE country_zones (
	country         char(3) NOT NULL,
	tz              text NOT NULL,
	PRIMARY KEY (country, tz)
);
INSERT INTO country_zones (country, tz) VALUES
	('BWA', 'Africa/Gaborone'), ('BFA', 'Africa/Ouagadougou'), ('CMR', 'Africa/Douala'),
	('CIV', 'Africa/Abidjan'), ('COD', 'Africa/Kinshasa'), ('COD', 'Africa/Lubumbashi'),
	('EGY', 'Africa/Cairo'), ('JOR', 'Asia/Amman'), ('GIN', 'Africa/Conakry'),
	('MLI', 'Africa/Bamako'), ('NER', 'Africa/Niamey'), ('SEN', 'Africa/Dakar'),
	('TUN', 'Africa/Tunis');

-- NULL: windows in each recipient's zone; else every recipient uses this one.
ALTER TABLE campaigns ADD COLUMN window_tz text;

-- Is local time of p_at in zone p_tz inside [p_start, p_end)?  p_end <=
-- p_start crosses midnight; no window (NULL) is always open.
CREATE FUNCTION window_open_at(p_start time, p_end time, p_tz text, p_at timestamptz)
RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS $$
	SELECT CASE
		WHEN p_start IS NULL THEN true
		WHEN p_end > p_start THEN (p_at AT TIME ZONE p_tz)::time >= p_start
		                      AND (p_at AT TIME ZONE p_tz)::time < p_end
		ELSE (p_at AT TIME ZONE p_tz)::time >= p_start
		  OR (p_at AT TIME ZONE p_tz)::time < p_end
	END
$$;

-- The zones that apply to recipients of country p_country in campaign c.
CREATE FUNCTION campaign_zones(c campaigns, p_country char(3))
RETURNS SETOF text LANGUAGE sql STABLE AS $$
	SELECT c.window_tz WHERE c.window_tz IS NOT NULL
	UNION ALL
	SELECT coalesce(z.tz, c.tz)
	  FROM (SELECT 1) one LEFT JOIN country_zones z ON z.country = p_country
	 WHERE c.window_tz IS NULL
$$;

-- The countries with pending messages in campaign p_id: one index probe
-- each (a loose scan of messages_claim).
CREATE FUNCTION campaign_pending_countries(p_id bigint)
RETURNS SETOF char(3) LANGUAGE sql STABLE AS $$
	WITH RECURSIVE cc(country) AS (
		(SELECT m.country FROM messages m
		  WHERE m.campaign_id = p_id AND m.send_status = 'pending'
		  ORDER BY m.country LIMIT 1)
		UNION ALL
		SELECT (SELECT m.country FROM messages m
		         WHERE m.campaign_id = p_id AND m.send_status = 'pending'
		           AND m.country > cc.country
		         ORDER BY m.country LIMIT 1)
		  FROM cc WHERE cc.country IS NOT NULL
	)
	SELECT country FROM cc WHERE country IS NOT NULL
$$;

-- Countries of campaign c whose messages may be sent at p_at: pending
-- rows, not held, window open in every zone of the country.
CREATE FUNCTION campaign_open_countries(c campaigns, p_at timestamptz)
RETURNS SETOF char(3) LANGUAGE sql STABLE AS $$
	SELECT pc.country
	  FROM campaign_pending_countries(c.id) pc(country)
	 WHERE NOT EXISTS (SELECT 1 FROM campaign_country_holds h
	                    WHERE h.campaign_id = c.id AND h.country = pc.country)
	   AND (SELECT bool_and(window_open_at(c.window_start, c.window_end, z, p_at))
	          FROM campaign_zones(c, pc.country) z)
$$;

-- The clock windows are judged by: now(), shifted by the session setting
-- griot.window_offset (seconds) that campaign_session_init() sets from
-- GRIOT_NOW in tests.  Slots and retries always use the real clock.
CREATE FUNCTION griot_window_now() RETURNS timestamptz
LANGUAGE sql STABLE AS $$
	SELECT now() + coalesce(nullif(current_setting('griot.window_offset', true), '')::float8, 0)
	               * interval '1 second'
$$;

-- The claim rule: up to p_k pending messages of campaign p_id that may be
-- sent now, locked FOR UPDATE SKIP LOCKED, in id order within the first
-- p_k of each open country.  The sender's claim (griot_claim) turns them
-- 'sending' with their slots in the same transaction.  Nothing when the
-- campaign is not running: its row is share-locked, so a pause or a
-- cancel waits for the claims in progress and no claim after it takes a
-- row.
--
-- Why "country BETWEEN c AND c" rather than "country = c": with an
-- equality the planner may walk the primary key in id order, filtering on
-- the country, because it assumes the countries are spread evenly; when
-- 500,000 rows of a held country come first, one claim then reads them
-- all.  Ordered by (country, id) under a range, only messages_claim gives
-- that order without a sort, so every claim is an index range scan of
-- the open country (tests/unit/test-claim.c checks the buffers read).
CREATE OR REPLACE FUNCTION griot_claim_candidates(p_campaign bigint, p_k integer)
RETURNS SETOF bigint LANGUAGE plpgsql AS $$
DECLARE
	c campaigns%ROWTYPE;
BEGIN
	SELECT * INTO c FROM campaigns k
	 WHERE k.id = p_campaign AND k.status = 'running' FOR SHARE;
	IF NOT FOUND OR p_k < 1 THEN
		RETURN;
	END IF;
	RETURN QUERY
	SELECT r.id FROM campaign_open_countries(c, griot_window_now()) oc(country),
	LATERAL (SELECT m.id FROM messages m
	          WHERE m.campaign_id = p_campaign
	            AND m.country BETWEEN oc.country AND oc.country
	            AND m.send_status = 'pending' AND m.body IS NOT NULL
	            AND (m.next_attempt_at IS NULL OR m.next_attempt_at <= now())
	          ORDER BY m.country, m.id
	          LIMIT p_k FOR UPDATE OF m SKIP LOCKED) r
	ORDER BY r.id LIMIT p_k;
END
$$;

-- Work left for a sender serving campaigns p_ids (windows judged at
-- griot_window_now()), without
-- counting rows: may it claim now (claimable), when does the next retry
-- come due (next_retry, seconds from now; NULL none), is any message of
-- them still 'sending' (sending).  Only running campaigns count: a paused
-- or cancelled campaign leaves nothing to wait for.
CREATE FUNCTION campaign_work_left(p_ids bigint[],
                                   OUT claimable boolean, OUT next_retry double precision,
                                   OUT sending boolean)
LANGUAGE sql STABLE AS $$
	WITH c AS (SELECT * FROM campaigns WHERE id = ANY(p_ids) AND status = 'running'),
	oc AS (SELECT c.id, x.country
	         FROM c, LATERAL campaign_open_countries(c, griot_window_now()) x(country))
	SELECT
		EXISTS (SELECT 1 FROM oc, LATERAL (
		          SELECT 1 FROM messages m
		           WHERE m.campaign_id = oc.id
		             AND m.country BETWEEN oc.country AND oc.country  -- as above
		             AND m.send_status = 'pending' AND m.body IS NOT NULL
		             AND (m.next_attempt_at IS NULL OR m.next_attempt_at <= now())
		           ORDER BY m.country, m.id LIMIT 1) r),
		(SELECT extract(epoch FROM min(n.t) - now())::double precision FROM oc, LATERAL (
		          SELECT m.next_attempt_at AS t FROM messages m
		           WHERE m.campaign_id = oc.id AND m.send_status = 'pending'
		             AND m.next_attempt_at > now() AND m.country = oc.country
		           ORDER BY m.next_attempt_at LIMIT 1) n),
		EXISTS (SELECT 1 FROM c JOIN messages m ON m.campaign_id = c.id
		         WHERE m.send_status = 'sending')
$$;

-- Messages still to send in campaigns p_ids (progress display): an
-- index-only count of messages_open, without reading the table.
CREATE FUNCTION campaign_open_count(p_ids bigint[])
RETURNS bigint LANGUAGE sql STABLE AS $$
	SELECT count(*) FROM messages WHERE campaign_id = ANY(p_ids) AND message_open(send_status)
$$;

-- The zones a campaign's windows are judged in, for messages and
-- estimates: its override, else the zones of its pending recipients'
-- countries (its own tz when it has none or a country has no zone).
CREATE FUNCTION campaign_window_zones(p_id bigint)
RETURNS SETOF text LANGUAGE sql STABLE AS $$
	SELECT DISTINCT z
	  FROM campaigns c,
	       LATERAL (SELECT pc FROM campaign_pending_countries(c.id) pc
	                UNION ALL SELECT NULL::char(3)
	                 WHERE NOT EXISTS (SELECT 1 FROM campaign_pending_countries(c.id))) p(country),
	       LATERAL campaign_zones(c, p.country) z
	 WHERE c.id = p_id
$$;
