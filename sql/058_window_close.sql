-- No queued send leaves after its window closes (issue 10, finding 10):
-- a sender holds claimed slots at most griot_claim_horizon() seconds
-- ahead (CLAIM_HORIZON_MAX in campaign/sender.c), so a country is
-- claimable only while its window stays open for that long; the last
-- seconds of a window go unused rather than texting someone after it.
CREATE FUNCTION griot_claim_horizon() RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT 5.0::double precision $$;

CREATE OR REPLACE FUNCTION campaign_open_countries(c campaigns, p_at timestamptz)
RETURNS SETOF char(3) LANGUAGE sql STABLE AS $$
	SELECT pc.country
	  FROM campaign_pending_countries(c.id) pc(country)
	 WHERE NOT EXISTS (SELECT 1 FROM campaign_country_holds h
	                    WHERE h.campaign_id = c.id AND h.country = pc.country)
	   AND (SELECT bool_and(window_open_at(c.window_start, c.window_end, z, p_at)
	                        AND window_open_at(c.window_start, c.window_end, z,
	                                           p_at + griot_claim_horizon() * interval '1 second'))
	          FROM campaign_zones(c, pc.country) z)
$$;
