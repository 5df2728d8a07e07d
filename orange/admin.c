/* Account administration (balance, usage, purchases) and DR subscriptions. */
#include "orange/internal.h"
#include "core/log.h"
#include "core/util.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* ?country=CIV&appid=... with each value URL-encoded. */
static void add_query(struct strbuf *sb, const char *country, const char *appid)
{
	char sep = '?';

	if (country && *country) {
		strbuf_addf(sb, "%ccountry=", sep);
		strbuf_addurlenc(sb, country);
		sep = '&';
	}
	if (appid && *appid) {
		strbuf_addf(sb, "%cappid=", sep);
		strbuf_addurlenc(sb, appid);
	}
}

/* GET an admin resource; *r holds the 2xx answer on success. */
static int admin_get(struct orange_client *c, const char *path, const char *country,
		     const char *appid, struct orange_resp *r, struct orange_error *err)
{
	struct strbuf url = STRBUF_INIT;
	int ret;

	orange_url(c, &url, path);
	add_query(&url, country, appid);
	ret = orange_call(c, "GET", url.buf, NULL, 0, r, err);
	strbuf_release(&url);
	return ret;
}

static int parse_failed(struct orange_error *err, const char *what, long status)
{
	orange_fail(err, ORANGE_ERR_PROTOCOL, false,
		    "cannot read Orange's %s answer (HTTP %ld)", what, status);
	if (err)
		err->http_status = (int)status;
	return -1;
}

int orange_contracts(struct orange_client *c, const char *country,
		     struct orange_contract **out, size_t *n, struct orange_error *err)
{
	struct orange_resp r;
	int ret = -1;

	*out = NULL;
	*n = 0;
	orange_resp_init(&r);
	if (admin_get(c, "/sms/admin/v1/contracts", country, NULL, &r, err) < 0)
		goto out;
	if (orange_parse_contracts(r.body.buf, r.body.len, out, n) < 0)
		parse_failed(err, "contracts", r.status);
	else
		ret = 0;
out:
	orange_resp_release(&r);
	return ret;
}

int orange_statistics(struct orange_client *c, const char *country, const char *appid,
		      struct orange_usage **out, size_t *n, struct orange_error *err)
{
	struct orange_resp r;
	int ret = -1;

	*out = NULL;
	*n = 0;
	orange_resp_init(&r);
	if (admin_get(c, "/sms/admin/v1/statistics", country, appid, &r, err) < 0)
		goto out;
	if (orange_parse_statistics(r.body.buf, r.body.len, out, n) < 0)
		parse_failed(err, "statistics", r.status);
	else
		ret = 0;
out:
	orange_resp_release(&r);
	return ret;
}

int orange_purchase_orders(struct orange_client *c, const char *country,
			   struct orange_purchase **out, size_t *n, struct orange_error *err)
{
	struct orange_resp r;
	int ret = -1;

	*out = NULL;
	*n = 0;
	orange_resp_init(&r);
	if (admin_get(c, "/sms/admin/v1/purchaseorders", country, NULL, &r, err) < 0)
		goto out;
	if (orange_parse_purchase_orders(r.body.buf, r.body.len, out, n) < 0)
		parse_failed(err, "purchase orders", r.status);
	else
		ret = 0;
out:
	orange_resp_release(&r);
	return ret;
}

/* ---- delivery-receipt subscriptions ---- */

static bool id_ok(const char *id)
{
	return id && *id && !strpbrk(id, "/?#\r\n ");
}

int orange_dr_subscribe(struct orange_client *c, const char *sender, const char *notify_url,
			bool allow_http, struct orange_subscription *out, struct orange_error *err)
{
	struct strbuf url = STRBUF_INIT;
	struct orange_resp r;
	struct strbuf masked = STRBUF_INIT;
	char *body = NULL;
	size_t len;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	orange_resp_init(&r);
	if (!orange_tel_valid(sender)) {
		orange_fail(err, ORANGE_ERR_INVALID, false,
			    "sender address must look like tel:+2230000");
		goto out;
	}
	if (!orange_notify_url_ok(notify_url, allow_http)) {
		orange_mask_url(notify_url, &masked);
		orange_fail(err, ORANGE_ERR_INVALID, false,
			    "notify URL '%s' must start with https:// (Orange delivers receipts "
			    "over HTTPS only; --allow-http is for local testing)", masked.buf);
		goto out;
	}
	if (orange_dr_body(notify_url, &body, &len) < 0) {
		orange_fail(err, ORANGE_ERR_INVALID, false, "notify URL is not valid UTF-8");
		goto out;
	}
	orange_url(c, &url, "/smsmessaging/v1/outbound/");
	strbuf_addurlenc(&url, sender);
	strbuf_addstr(&url, "/subscriptions");
	if (orange_call(c, "POST", url.buf, body, len, &r, err) < 0)
		goto out;
	if (orange_parse_subscription(r.body.buf, r.body.len, out) < 0) {
		/* subscribed, but no resourceURL: fall back on Location */
		char *slash = strrchr(r.location.buf, '/');
		if (!slash || !id_ok(slash + 1)) {
			orange_fail(err, ORANGE_ERR_PROTOCOL, true,
				    "Orange accepted the subscription (HTTP %ld) but gave no id",
				    r.status);
			goto out;
		}
		out->id = xstrdup(slash + 1);
		out->resource_url = xstrdup(r.location.buf);
	}
	if (!out->notify_url)
		out->notify_url = xstrdup(notify_url);
	ret = 0;
out:
	if (ret < 0)
		orange_subscription_release(out);
	secure_zero(masked.buf, masked.len);
	strbuf_release(&masked);
	free(body);
	orange_resp_release(&r);
	strbuf_release(&url);
	return ret;
}

int orange_dr_check(struct orange_client *c, const char *id,
		    struct orange_subscription *out, struct orange_error *err)
{
	struct strbuf url = STRBUF_INIT;
	struct orange_resp r;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	orange_resp_init(&r);
	if (!id_ok(id)) {
		orange_fail(err, ORANGE_ERR_INVALID, false, "bad subscription id");
		goto out;
	}
	orange_url(c, &url, "/smsmessaging/v1/outbound/subscriptions/");
	strbuf_addurlenc(&url, id);
	if (orange_call(c, "GET", url.buf, NULL, 0, &r, err) < 0)
		goto out;
	if (orange_parse_subscription(r.body.buf, r.body.len, out) < 0) {
		parse_failed(err, "subscription", r.status);
		goto out;
	}
	if (!out->notify_url)
		out->notify_url = xstrdup("");
	ret = 0;
out:
	orange_resp_release(&r);
	strbuf_release(&url);
	return ret;
}

int orange_dr_unsubscribe(struct orange_client *c, const char *sender, const char *id,
			  struct orange_error *err)
{
	struct strbuf url = STRBUF_INIT;
	struct orange_resp r;
	int ret = -1;

	orange_resp_init(&r);
	if (!orange_tel_valid(sender)) {
		orange_fail(err, ORANGE_ERR_INVALID, false,
			    "sender address must look like tel:+2230000");
		goto out;
	}
	if (!id_ok(id)) {
		orange_fail(err, ORANGE_ERR_INVALID, false, "bad subscription id");
		goto out;
	}
	orange_url(c, &url, "/smsmessaging/v1/outbound/");
	strbuf_addurlenc(&url, sender);
	strbuf_addstr(&url, "/subscriptions/");
	strbuf_addurlenc(&url, id);
	ret = orange_call(c, "DELETE", url.buf, NULL, 0, &r, err);
out:
	orange_resp_release(&r);
	strbuf_release(&url);
	return ret;
}
