-- A 429's pause reaches every sender on the limiter.  griot_rate_backoff
-- moves next_slot past the pause, but the slots other senders booked
-- before it were still sent inside it (t-send-retry-after).  It now also
-- tells them, at commit, on channel griot_limiter: payload "<end> <name>",
-- <end> the pause's end on this server's clock (epoch seconds), <name> the
-- limiter; each sender gives back its queued rows whose slot is before
-- <end> (campaign/sender.c, pause_until).

-- Contract as in sql/050: push limiter p_name's next slot to at least
-- p_seconds (capped by griot_retry_after_max()) from now; returns the
-- capped seconds, NULL when there is no such limiter.
CREATE OR REPLACE FUNCTION griot_rate_backoff(p_name text, p_seconds double precision)
RETURNS double precision LANGUAGE plpgsql AS $$
DECLARE
	secs double precision := least(greatest(p_seconds, 0), griot_retry_after_max());
	pause_end timestamptz := clock_timestamp() + secs * interval '1 second';
BEGIN
	UPDATE send_rate
	   SET next_slot = greatest(next_slot, pause_end),
	       updated_at = now()
	 WHERE name = p_name;
	IF NOT FOUND THEN
		RETURN NULL;
	END IF;
	PERFORM pg_notify('griot_limiter', extract(epoch FROM pause_end) || ' ' || p_name);
	RETURN secs;
END $$;
