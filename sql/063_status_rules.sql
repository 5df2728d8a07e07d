-- Status rules defined once (core/status.h is the C side), beside
-- message_open() of sql/055: which campaigns are active (scheduled or
-- running: a sender serves them once due; they can be paused), and which
-- receipts mean delivered.  The functions are plain SQL expressions, so
-- the planner inlines them.  campaign_pause and report_receipts_hourly
-- now use them instead of writing the lists again; their bodies are
-- otherwise those of sql/055 and sql/040.
CREATE FUNCTION campaign_active(s text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT s IN ('scheduled', 'running')
$$;

CREATE FUNCTION dlv_delivered(s text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT s IN ('DeliveredToTerminal', 'DeliveredToNetwork')
$$;

CREATE OR REPLACE FUNCTION campaign_pause(p_id bigint, p_reason text, p_requeue bigint[])
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
	done boolean;
BEGIN
	UPDATE campaigns SET status = 'paused', paused_reason = p_reason, updated_at = now()
	 WHERE id = p_id AND campaign_active(status);
	done := FOUND;
	UPDATE messages
	   SET send_status = 'pending', claimed_by = NULL, sending_at = NULL,
	       next_attempt_at = NULL, attempts = greatest(attempts - 1, 0),
	       last_error = 'requeued (campaign paused: ' || p_reason || ') after: '
	                    || coalesce(last_error, ''),
	       updated_at = now()
	 WHERE campaign_id = p_id AND id = ANY(coalesce(p_requeue, '{}'))
	   AND send_status = 'failed';
	RETURN done;
END
$$;

-- Final receipts per hour (UTC): delivered and the other final states
-- (dr_rank 2 of sql/030: final).
CREATE OR REPLACE FUNCTION report_receipts_hourly(p_campaign text, p_since timestamptz,
						  p_until timestamptz, p_country text)
RETURNS TABLE (hour timestamptz, delivered bigint, not_delivered bigint)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
	SELECT date_trunc('hour', final_at),
	       count(*) FILTER (WHERE dlv_delivered(delivery_status)),
	       count(*) FILTER (WHERE dr_rank(delivery_status) = 2
	                          AND NOT dlv_delivered(delivery_status))
	FROM report_scope(p_campaign, p_since, p_until, p_country)
	WHERE final_at IS NOT NULL
	GROUP BY 1
	ORDER BY 1
$$;
