-- A limiter across a step back of the database host's clock.  next_slot
-- is an instant on PostgreSQL's clock; when that clock is set back S
-- seconds (an NTP step, a VM resumed, an operator fixing the date),
-- every slot already booked lies S seconds further ahead than meant, and
-- with greatest(next_slot, now + lead) every sender on the limiter would
-- wait S seconds for its next slot: a 2-minute step stalled a night's
-- run for 2 minutes (t-send-clock).  booked_at is the clock at the last
-- booking; clock_timestamp() earlier than it means the clock went back
-- by that much, and next_slot moves back with it.  (Bookings are
-- serialised by the row lock and the SET is evaluated on the latest row
-- version, so with a steady clock booked_at never runs ahead of it.)
ALTER TABLE send_rate ADD COLUMN booked_at timestamptz NOT NULL DEFAULT now();

-- Contract as in sql/050: book p_k consecutive slots on limiter p_name,
-- spaced by the limiter's own rate, the first no earlier than p_lead
-- seconds from now; NULL first when p_k < 1.
CREATE OR REPLACE FUNCTION griot_book(p_name text, p_k integer, p_lead double precision,
                                      OUT first timestamptz, OUT spacing double precision)
LANGUAGE plpgsql AS $$
BEGIN
	SELECT griot_rate_spacing(rate) INTO spacing FROM send_rate WHERE name = p_name;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'no send_rate row named %', p_name;
	END IF;
	IF p_k < 1 THEN
		RETURN;
	END IF;
	UPDATE send_rate
	   SET next_slot = greatest(next_slot - greatest(booked_at - clock_timestamp(), interval '0'),
	                            clock_timestamp() + p_lead * interval '1 second')
	                   + p_k * spacing * interval '1 second',
	       booked_at = clock_timestamp(),
	       updated_at = now()
	 WHERE name = p_name
	RETURNING next_slot - p_k * spacing * interval '1 second' INTO first;
END $$;
