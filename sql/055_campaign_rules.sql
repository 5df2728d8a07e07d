-- Campaign rules defined once (core/status.h is the C side): which send
-- statuses are still to send, the advisory-lock keys, pausing a campaign
-- with a reason (by an operator or by the sender's systemic-error
-- detector, campaign/breaker.h), requeueing failed messages, and the
-- notification every sender listens to so that a pause or a cancel stops
-- the queued sends of every process at once.

-- "Still to send": pending or sending.  A plain SQL expression, so the
-- planner inlines it and partial indexes on the same predicate apply.
CREATE FUNCTION message_open(s text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT s IN ('pending', 'sending')
$$;

-- Advisory-lock keys (core/status.h: LOCK_CLASS_SENDER, LOCK_KEY_RECEIPTS).
CREATE FUNCTION griot_lock_sender() RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT 4720020 $$;
CREATE FUNCTION griot_lock_receipts() RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT 4720030::bigint $$;

CREATE OR REPLACE FUNCTION report_state(send_status text, delivery_status text,
					sent_at timestamptz, now timestamptz)
RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT CASE
		WHEN message_open(send_status) THEN 'not_sent'
		WHEN send_status = 'failed' THEN 'send_failed'
		WHEN send_status = 'unknown' THEN 'send_unknown'
		WHEN delivery_status IS NOT NULL THEN delivery_status
		WHEN sent_at <= now - interval '24 hours' THEN 'no_receipt_24h'
		ELSE 'awaiting_receipt'
	END
$$;

-- Messages still to send, per campaign: counted from this index alone
-- (the table holds many finished rows after a while).
CREATE INDEX messages_open ON messages (campaign_id) WHERE message_open(send_status);

-- Pause campaign p_id (scheduled or running) with p_reason, and put the
-- messages p_requeue back to pending if they were recorded 'failed' by a
-- refusal that concerned the whole campaign, not them (the attempt is
-- not counted).  True when the campaign was paused by this call.
CREATE FUNCTION campaign_pause(p_id bigint, p_reason text, p_requeue bigint[])
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
	done boolean;
BEGIN
	UPDATE campaigns SET status = 'paused', paused_reason = p_reason, updated_at = now()
	 WHERE id = p_id AND status IN ('scheduled', 'running');
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

-- `griot campaign retry-failed`: put the failed messages of p_id back to
-- pending (only those whose last error contains p_match, when given); a
-- finished campaign runs again.  Returns how many.
CREATE FUNCTION campaign_retry_failed(p_id bigint, p_match text)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	n bigint;
BEGIN
	UPDATE messages
	   SET send_status = 'pending', claimed_by = NULL, sending_at = NULL,
	       next_attempt_at = NULL, attempts = 0,
	       last_error = 'retried on request after: ' || coalesce(last_error, 'failed'),
	       updated_at = now()
	 WHERE campaign_id = p_id AND send_status = 'failed'
	   AND (p_match IS NULL OR strpos(coalesce(last_error, ''), p_match) > 0);
	GET DIAGNOSTICS n = ROW_COUNT;
	IF n > 0 THEN
		UPDATE campaigns SET status = 'running', finished_at = NULL, updated_at = now()
		 WHERE id = p_id AND status = 'done';
	END IF;
	RETURN n;
END
$$;

-- Every change of a campaign's status is announced on channel
-- griot_campaign ("<id> <status>"), delivered at commit: senders LISTEN
-- and drop the queued sends of a campaign that left 'running' before
-- its next slot, on every host.
CREATE FUNCTION campaigns_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('griot_campaign', NEW.id || ' ' || NEW.status);
	RETURN NULL;
END
$$;
CREATE TRIGGER campaigns_notify AFTER UPDATE OF status ON campaigns
	FOR EACH ROW WHEN (NEW.status IS DISTINCT FROM OLD.status)
	EXECUTE FUNCTION campaigns_notify();
