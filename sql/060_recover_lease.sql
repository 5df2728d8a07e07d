-- Recovery by the lease alone (issue 10, finding 8).  sql/050 also sent a
-- dead instance's row back to pending when its slot was still further
-- ahead of now() than the instance's clock error plus a margin.  That
-- rule trusts the database host's clock to be continuous: when it steps
-- back (an NTP step, a VM resumed, a date set by hand) after the
-- instance's last clock measure, the rows it had just sent have slots
-- "in the future" of the new now(), and went back to pending: sent twice
-- (tests/integration/t-send-clock.sh, under libfaketime).  The lease
-- rule compares two values the instance committed itself (the row's
-- slot and its started_until, both stamped by the server) and holds
-- whatever the clock does: an instance never starts a request whose slot
-- lies beyond the lease it committed.  Rows within the lease become
-- unknown; the lease reaches a fraction of a second past the last
-- renewal, so the old rule rarely proved more.
DROP FUNCTION griot_recover_instance(text, double precision);

-- Recover the rows left 'sending' by dead instance p_owner (the caller
-- holds its liveness lock).  A row goes back to pending only when its
-- request provably never started: its slot lies beyond the lease the
-- instance committed.  Otherwise Orange may have it: unknown.  An
-- instance without a lease row (it unregistered with requests in
-- flight) proves nothing.  Returns (to_pending, to_unknown); forgets
-- the instance.
CREATE FUNCTION griot_recover_instance(p_owner text, OUT to_pending bigint, OUT to_unknown bigint)
LANGUAGE plpgsql AS $$
DECLARE
	lease timestamptz;
BEGIN
	SELECT started_until INTO lease FROM sender_instances WHERE id = p_owner;
	IF NOT FOUND THEN
		lease := 'infinity';
	END IF;
	WITH x AS (
		UPDATE messages SET
		       send_status = CASE WHEN unsent THEN 'pending' ELSE 'unknown' END,
		       attempts = CASE WHEN unsent THEN greatest(attempts - 1, 0) ELSE attempts END,
		       last_error = CASE WHEN unsent THEN last_error ELSE
		           'sender ' || claimed_by || ' died after the request was due: Orange may have accepted it' END,
		       claimed_by = CASE WHEN unsent THEN NULL ELSE claimed_by END,
		       updated_at = now()
		  FROM (SELECT m.id AS mid, m.sending_at > lease AS unsent
		          FROM messages m
		         WHERE m.send_status = 'sending' AND m.claimed_by = p_owner) u
		 WHERE messages.id = u.mid
		RETURNING send_status)
	SELECT count(*) FILTER (WHERE send_status = 'pending'),
	       count(*) FILTER (WHERE send_status = 'unknown')
	  INTO to_pending, to_unknown FROM x;
	DELETE FROM sender_instances WHERE id = p_owner;
END $$;
