-- The zones a campaign's window is judged in come from the countries of
-- its messages still to send: pending ones (messages_claim) and those a
-- sender holds 'sending' (this small index).  From pending ones alone, a
-- campaign whose open country's rows were all claimed looked closed to
-- the next refresh, and its queued rows were given back.
CREATE INDEX messages_sending_country ON messages (campaign_id, country)
	WHERE send_status = 'sending';

CREATE OR REPLACE FUNCTION campaign_window_zones(p_id bigint)
RETURNS SETOF text LANGUAGE sql STABLE AS $$
	WITH open(country) AS (
		SELECT pc FROM campaign_pending_countries(p_id) pc
		UNION
		SELECT m.country FROM messages m
		 WHERE m.campaign_id = p_id AND m.send_status = 'sending'
	)
	SELECT DISTINCT z
	  FROM campaigns c,
	       LATERAL (SELECT country FROM open
	                UNION ALL SELECT NULL::char(3) WHERE NOT EXISTS (SELECT 1 FROM open)) p,
	       LATERAL campaign_zones(c, p.country) z
	 WHERE c.id = p_id
$$;
