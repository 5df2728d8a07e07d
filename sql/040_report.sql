-- Reporter: the cache of Orange admin answers and the report's SQL.
-- The aggregation lives here, in SQL, so that `griot report` never pulls
-- per-message rows into memory and `bench/report.sh` can time the very
-- same query in psql.  See docs/reports.md for every definition.

-- Orange admin answers (contracts, statistics, purchase orders), kept a
-- few minutes so that several reports in a row cost one call each.
-- `data` is griot's own JSON rendering of the parsed answer.
CREATE TABLE report_orange_cache (
	kind            text NOT NULL,                 -- contracts | statistics | purchaseorders
	api_base        text NOT NULL,                 -- a different endpoint is a different cache
	fetched_at      timestamptz NOT NULL DEFAULT now(),
	data            jsonb NOT NULL,
	PRIMARY KEY (kind, api_base)
);

-- The one state a message is counted under in a report.  Every message
-- falls in exactly one, so the states add up to the total.
CREATE FUNCTION report_state(send_status text, delivery_status text,
			     sent_at timestamptz, now timestamptz)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT CASE
		WHEN send_status IN ('pending', 'sending') THEN 'not_sent'
		WHEN send_status = 'failed' THEN 'send_failed'
		WHEN send_status = 'unknown' THEN 'send_unknown'
		WHEN delivery_status IS NOT NULL THEN delivery_status
		WHEN sent_at <= now - interval '24 hours' THEN 'no_receipt_24h'
		ELSE 'awaiting_receipt'
	END
$$;

-- Messages in a report's scope.  NULL arguments do not filter.  The
-- period applies to the send time: sent_at, else the last send attempt,
-- else the creation time (for messages never sent).
CREATE FUNCTION report_scope(p_campaign text, p_since timestamptz,
			     p_until timestamptz, p_country text)
RETURNS TABLE (id bigint, campaign_id bigint, campaign text, country char(3),
	       send_status text, delivery_status text, segments smallint,
	       sent_at timestamptz, final_at timestamptz, last_error text,
	       msisdn text, fields jsonb, resource_id text, delivery_at timestamptz)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
	SELECT m.id, m.campaign_id, c.name, m.country, m.send_status,
	       m.delivery_status, m.segments, m.sent_at, m.final_at, m.last_error,
	       m.msisdn, m.fields, m.resource_id, m.delivery_at
	FROM messages m JOIN campaigns c ON c.id = m.campaign_id
	WHERE (p_campaign IS NULL OR c.name = p_campaign)
	  AND (p_country IS NULL OR m.country = p_country)
	  AND (p_since IS NULL OR coalesce(m.sent_at, m.sending_at, m.created_at) >= p_since)
	  AND (p_until IS NULL OR coalesce(m.sent_at, m.sending_at, m.created_at) < p_until)
$$;

-- The report's main aggregation: one pass over the messages in scope,
-- grouped per (campaign, country), per campaign, per country and overall
-- (level: 0, 1, 2, 3 in that order).  Units are SMS segments; a message
-- without a segment count yet counts as one.  Latency is final_at - sent_at
-- in seconds; percentiles are percentile_disc (an observed latency).
CREATE FUNCTION report_delivery(p_campaign text, p_since timestamptz,
				p_until timestamptz, p_country text, p_now timestamptz)
RETURNS TABLE (level int, campaign_id bigint, campaign text, country char(3),
	       total bigint,
	       delivered_terminal bigint, delivered_network bigint,
	       uncertain bigint, impossible bigint, waiting bigint,
	       awaiting_receipt bigint, no_receipt_24h bigint,
	       send_failed bigint, send_unknown bigint, not_sent bigint,
	       accepted bigint, units bigint, units_unknown bigint,
	       latency_count bigint, p50 double precision,
	       p90 double precision, p99 double precision)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
	WITH s AS (
		SELECT campaign_id, campaign, country, send_status, segments,
		       report_state(send_status, delivery_status, sent_at, p_now) AS state,
		       extract(epoch FROM final_at - sent_at)::double precision AS lat
		FROM report_scope(p_campaign, p_since, p_until, p_country)
	)
	SELECT GROUPING(campaign_id, country)::int AS level,
	       campaign_id, campaign, country,
	       count(*),
	       count(*) FILTER (WHERE state = 'DeliveredToTerminal'),
	       count(*) FILTER (WHERE state = 'DeliveredToNetwork'),
	       count(*) FILTER (WHERE state = 'DeliveryUncertain'),
	       count(*) FILTER (WHERE state = 'DeliveryImpossible'),
	       count(*) FILTER (WHERE state = 'MessageWaiting'),
	       count(*) FILTER (WHERE state = 'awaiting_receipt'),
	       count(*) FILTER (WHERE state = 'no_receipt_24h'),
	       count(*) FILTER (WHERE state = 'send_failed'),
	       count(*) FILTER (WHERE state = 'send_unknown'),
	       count(*) FILTER (WHERE state = 'not_sent'),
	       count(*) FILTER (WHERE send_status = 'sent'),
	       coalesce(sum(coalesce(segments, 1)) FILTER (WHERE send_status = 'sent'), 0),
	       coalesce(sum(coalesce(segments, 1)) FILTER (WHERE send_status = 'unknown'), 0),
	       count(lat),
	       percentile_disc(0.5) WITHIN GROUP (ORDER BY lat),
	       percentile_disc(0.9) WITHIN GROUP (ORDER BY lat),
	       percentile_disc(0.99) WITHIN GROUP (ORDER BY lat)
	FROM s
	GROUP BY GROUPING SETS ((campaign_id, campaign, country), (campaign_id, campaign), (country), ())
$$;

-- Failures by reason: messages Orange refused (failed) or whose fate is
-- unknown, grouped by the last error the sender recorded.
CREATE FUNCTION report_failures(p_campaign text, p_since timestamptz,
				p_until timestamptz, p_country text)
RETURNS TABLE (send_status text, reason text, count bigint)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
	SELECT send_status, coalesce(last_error, '(no reason recorded)'), count(*)
	FROM report_scope(p_campaign, p_since, p_until, p_country)
	WHERE send_status IN ('failed', 'unknown')
	GROUP BY 1, 2
	ORDER BY 3 DESC, 1, 2
$$;

-- Final receipts per hour (UTC): delivered (terminal or network) and the
-- other final states.
CREATE FUNCTION report_receipts_hourly(p_campaign text, p_since timestamptz,
				       p_until timestamptz, p_country text)
RETURNS TABLE (hour timestamptz, delivered bigint, not_delivered bigint)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
	SELECT date_trunc('hour', final_at),
	       count(*) FILTER (WHERE delivery_status IN ('DeliveredToTerminal', 'DeliveredToNetwork')),
	       count(*) FILTER (WHERE delivery_status IN ('DeliveryUncertain', 'DeliveryImpossible'))
	FROM report_scope(p_campaign, p_since, p_until, p_country)
	WHERE final_at IS NOT NULL
	GROUP BY 1
	ORDER BY 1
$$;
