-- A finished campaign (done or cancelled: core/status.h campaign_finished)
-- sends nothing and cannot be cancelled; defined once beside
-- campaign_active() of sql/063.
CREATE FUNCTION campaign_finished(s text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT s IN ('done', 'cancelled')
$$;
