-- Campaign sender (campaign/): shared rate slots, crash recovery, timing.

ALTER TABLE campaigns ADD COLUMN started_at timestamptz;

-- Recovery looks up rows still 'sending' by their owner.
CREATE INDEX messages_sending_owner ON messages (claimed_by) WHERE send_status = 'sending';

-- Book k consecutive send slots `spacing` seconds apart on the shared
-- limiter `p_name`, the first no earlier than `lead` seconds from now.
-- The row lock makes concurrent bookings (any process, any host) queue
-- up, so slots never overlap.  Returns the first slot, NULL when k < 1.
CREATE FUNCTION griot_book_slots(p_name text, p_k integer, p_spacing double precision,
                                 p_lead double precision)
RETURNS timestamptz LANGUAGE plpgsql AS $$
DECLARE
	first timestamptz;
BEGIN
	IF p_k < 1 THEN
		RETURN NULL;
	END IF;
	UPDATE send_rate
	   SET next_slot = greatest(next_slot, clock_timestamp() + p_lead * interval '1 second')
	                   + p_k * p_spacing * interval '1 second',
	       updated_at = now()
	 WHERE name = p_name
	RETURNING next_slot - p_k * p_spacing * interval '1 second' INTO first;
	IF first IS NULL THEN
		RAISE EXCEPTION 'no send_rate row named %', p_name;
	END IF;
	RETURN first;
END $$;

-- After a 429: nobody books a slot before `seconds` from now.
CREATE FUNCTION griot_rate_backoff(p_name text, p_seconds double precision)
RETURNS void LANGUAGE sql AS $$
	UPDATE send_rate
	   SET next_slot = greatest(next_slot, clock_timestamp() + p_seconds * interval '1 second'),
	       updated_at = now()
	 WHERE name = p_name;
$$;
