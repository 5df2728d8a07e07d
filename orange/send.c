/*
 * Sending: one blocking call, and the asynchronous path for throughput:
 * a curl multi handle drives at most max_parallel requests over kept-alive
 * connections, each on a reused easy handle whose headers are rebuilt
 * only when the token changes.
 */
#include "orange/internal.h"
#include "core/log.h"
#include "core/util.h"

#include <poll.h>
#include <stdio.h>
#include <string.h>

struct orange_slot {
	CURL *easy;
	struct curl_slist *hdrs;
	char *bearer;             /* the token in hdrs (secret) */
	unsigned hdr_gen;         /* orange_token_gen() the headers were built for */
	struct orange_job *job;   /* NULL when idle */
};

struct orange_job {
	struct orange_job *next;
	char *url;
	char *body;
	size_t body_len;
	orange_send_done_fn done;
	void *arg;
	unsigned tok_gen;
	int slot;                 /* -1 while queued */
	char invalid[256];        /* set: refused before sending */
	struct orange_resp resp;
};

static void send_url(const struct orange_client *c, struct strbuf *sb, const char *sender)
{
	/* tel:+2230000 travels in the path as tel%3A%2B2230000 */
	orange_url(c, sb, "/smsmessaging/v1/outbound/");
	strbuf_addurlenc(sb, sender);
	strbuf_addstr(sb, "/requests");
}

/* The resource id of a 2xx answer, else a typed error: the message was
 * accepted (2xx) but we cannot say under which id. */
static int finish_answer(const struct orange_resp *r, char **rid, struct orange_error *err)
{
	if (orange_parse_send_answer(r->body.buf, r->body.len, r->location.buf, rid) == 0)
		return 0;
	orange_fail(err, ORANGE_ERR_PROTOCOL, true,
		    "Orange accepted the message (HTTP %ld) but gave no resource id", r->status);
	if (err)
		err->http_status = (int)r->status;
	return -1;
}

int orange_send(struct orange_client *c, const struct orange_sms *sms,
		char **resource_id, struct orange_error *err)
{
	struct orange_error tmp = ORANGE_ERROR_INIT;
	struct strbuf url = STRBUF_INIT;
	struct orange_resp r;
	char *body = NULL, why[128];
	size_t len;
	int ret = -1;

	if (!err)
		err = &tmp;
	orange_resp_init(&r);
	if (orange_send_body_why(sms, &body, &len, why, sizeof(why)) < 0) {
		orange_fail(err, ORANGE_ERR_INVALID, false, "not sent: %s", why);
		goto out;
	}
	send_url(c, &url, sms->sender);
	if (orange_call_once(c, "POST", url.buf, body, len, &r, err) < 0)
		goto out;
	ret = finish_answer(&r, resource_id, err);
out:
	free(body);
	strbuf_release(&url);
	orange_resp_release(&r);
	orange_error_release(&tmp);
	return ret;
}

/* ---- asynchronous ---- */

/* Wait until fd is readable, at most timeout seconds (a signal ends it). */
static void wait_readable(int fd, double timeout)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	poll(&p, 1, (int)(timeout * 1000) + 1);
}

static void ensure_multi(struct orange_client *c)
{
	int i;

	if (c->multi)
		return;
	c->multi = curl_multi_init();
	if (!c->multi)
		die_oom();
	curl_multi_setopt(c->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)c->max_parallel);
	curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)c->max_parallel);
	curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, (long)c->max_parallel);
	c->slots = xcalloc((size_t)c->max_parallel, sizeof(*c->slots));
	c->free_slots = xcalloc((size_t)c->max_parallel, sizeof(*c->free_slots));
	for (i = c->max_parallel - 1; i >= 0; i--)
		c->free_slots[c->n_free_slots++] = i;
}

static void job_free(struct orange_job *j)
{
	free(j->url);
	free(j->body);
	orange_resp_release(&j->resp);
	free(j);
}

static void queue_push(struct orange_client *c, struct orange_job *j)
{
	j->slot = -1;
	j->next = NULL;
	if (c->queue_tail)
		c->queue_tail->next = j;
	else
		c->queue_head = j;
	c->queue_tail = j;
	c->n_queued++;
}

static struct orange_job *queue_pop(struct orange_client *c)
{
	struct orange_job *j = c->queue_head;

	if (!j)
		return NULL;
	c->queue_head = j->next;
	if (!c->queue_head)
		c->queue_tail = NULL;
	j->next = NULL;
	c->n_queued--;
	return j;
}

int orange_send_submit(struct orange_client *c, const struct orange_sms *sms,
		       orange_send_done_fn done, void *arg)
{
	struct orange_job *j;
	struct strbuf url = STRBUF_INIT;
	char why[128];

	if (!c || !sms || !done)
		return error("orange_send_submit: missing client, message or callback");
	ensure_multi(c);
	j = xcalloc(1, sizeof(*j));
	j->done = done;
	j->arg = arg;
	orange_resp_init(&j->resp);
	/* Bad input is the caller's per-message outcome, not a log line. */
	if (orange_send_body_why(sms, &j->body, &j->body_len, why, sizeof(why)) < 0)
		snprintf(j->invalid, sizeof(j->invalid), "not sent: %s", why);
	if (!j->invalid[0]) {
		send_url(c, &url, sms->sender);
		j->url = strbuf_detach(&url, NULL);
	}
	queue_push(c, j);
	return 0;
}

int orange_send_in_flight(const struct orange_client *c)
{
	return c->n_active + c->n_queued;
}

static void slot_forget_bearer(struct orange_slot *s)
{
	if (s->bearer)
		secure_zero(s->bearer, strlen(s->bearer));
	free(s->bearer);
	s->bearer = NULL;
}

static void complete(struct orange_job *j, const char *rid, const struct orange_error *err)
{
	j->done(j->arg, rid, err);
	job_free(j);
}

/* Put job j on slot s, with headers for tok (generation gen). */
static void slot_setup(struct orange_slot *s, struct orange_client *c, struct orange_job *j,
		       const struct orange_token *tok, unsigned gen)
{
	if (!s->easy) {
		s->easy = curl_easy_init();
		if (!s->easy)
			die_oom();
		orange_easy_setup(c, s->easy, &j->resp);
	} else {
		orange_easy_bind(s->easy, &j->resp);
	}
	if (!s->hdrs || s->hdr_gen != gen) {
		orange_headers_free(s->hdrs);
		slot_forget_bearer(s);
		s->hdrs = orange_bearer_headers(tok, "application/json");
		s->bearer = xstrdup(tok->access_token);
		s->hdr_gen = gen;
	}
	j->resp.no_resend = true;
	curl_easy_setopt(s->easy, CURLOPT_URL, j->url);
	curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, j->body);
	curl_easy_setopt(s->easy, CURLOPT_POSTFIELDSIZE, (long)j->body_len);
	curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->hdrs);
	curl_easy_setopt(s->easy, CURLOPT_PRIVATE, j);
}

/* Fail every queued job with err (nothing of them was sent). */
static int fail_queue(struct orange_client *c, const struct orange_error *err)
{
	struct orange_job *j;
	int n = 0;

	while ((j = queue_pop(c))) {
		complete(j, NULL, err);
		n++;
	}
	return n;
}

/* Move queued jobs onto free slots; returns how many completed here. */
static int activate(struct orange_client *c)
{
	struct orange_job *j;
	struct orange_error err = ORANGE_ERROR_INIT;
	int completed = 0;

	while (c->n_free_slots > 0 && (j = queue_pop(c))) {
		const struct orange_token *tok;
		struct orange_slot *s;
		int idx;

		if (j->invalid[0]) {
			orange_fail(&err, ORANGE_ERR_INVALID, false, "%s", j->invalid);
			complete(j, NULL, &err);
			completed++;
			continue;
		}
		tok = orange_token_get(c, NULL, &err);
		if (!tok) {
			/* no token, no send: surely not accepted */
			err.maybe_accepted = false;
			orange_err_prefix(&err, "not sent, no token: ");
			complete(j, NULL, &err);
			completed += 1 + fail_queue(c, &err);
			break;
		}
		idx = c->free_slots[--c->n_free_slots];
		s = &c->slots[idx];
		j->tok_gen = orange_token_gen(c);
		slot_setup(s, c, j, tok, j->tok_gen);
		j->slot = idx;
		s->job = j;
		if (curl_multi_add_handle(c->multi, s->easy) != CURLM_OK) {
			s->job = NULL;
			c->free_slots[c->n_free_slots++] = idx;
			orange_fail(&err, ORANGE_ERR_NETWORK, false, "not sent: curl multi refused the request");
			complete(j, NULL, &err);
			completed++;
			continue;
		}
		c->n_active++;
		c->stats.requests++;
	}
	orange_error_release(&err);
	return completed;
}

static void release_slot(struct orange_client *c, struct orange_job *j)
{
	struct orange_slot *s = &c->slots[j->slot];

	curl_multi_remove_handle(c->multi, s->easy);
	s->job = NULL;
	c->free_slots[c->n_free_slots++] = j->slot;
	j->slot = -1;
	c->n_active--;
}

/*
 * One transfer ended: done() is called for it.  A 401 for an expired or
 * revoked token renews the token (once for every request that used it)
 * but never resends: done() gets err->send_again, and the caller sends
 * it again in its own time (its rate limit's next slot).
 */
static void finish(struct orange_client *c, CURL *e, CURLcode rc)
{
	struct orange_job *j = NULL;
	struct orange_error err = ORANGE_ERROR_INIT;
	char *rid = NULL, *used = NULL;

	curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&j);
	orange_easy_collect(c, e, &j->resp);
	/* classify while the handle still describes this transfer */
	if (orange_classify(rc, e, &j->resp, false, &err) == 0) {
		release_slot(c, j);
		orange_token_worked(c);
		if (finish_answer(&j->resp, &rid, &err) == 0)
			complete(j, rid, NULL);
		else
			complete(j, NULL, &err);
		goto out;
	}
	if (orange_err_wants_renewal(&err))
		used = xstrdup(c->slots[j->slot].bearer);
	release_slot(c, j);
	if (used)
		orange_token_refused(c, used, j->tok_gen, &err);
	complete(j, NULL, &err);
out:
	if (used)
		secure_zero(used, strlen(used));
	free(used);
	free(rid);
	orange_error_release(&err);
}

int orange_send_run_fd(struct orange_client *c, double timeout, int fd)
{
	double deadline = time_mono() + (timeout > 0 ? timeout : 0);
	struct curl_waitfd extra = { .fd = fd, .events = CURL_WAIT_POLLIN };
	int completed = 0;

	if (!c->multi && fd < 0)
		return 0;
	for (;;) {
		CURLMsg *msg;
		int running, left, ms;
		double now;

		if (c->multi)
			completed += activate(c);
		if (!c->multi || (!c->n_active && !c->n_queued)) {
			if (fd >= 0 && deadline > time_mono())
				wait_readable(fd, deadline - time_mono());
			break;
		}
		if (curl_multi_perform(c->multi, &running) != CURLM_OK)
			return error("curl multi failed");
		while ((msg = curl_multi_info_read(c->multi, &left)))
			if (msg->msg == CURLMSG_DONE) {
				finish(c, msg->easy_handle, msg->data.result);
				completed++;
			}
		if (completed) {
			/* start what is queued before returning */
			completed += activate(c);
			if (c->n_active)
				curl_multi_perform(c->multi, &running);
			break;
		}
		now = time_mono();
		if (now >= deadline)
			break;
		ms = deadline - now > 1 ? 1000 : (int)((deadline - now) * 1000) + 1;
		extra.revents = 0;
		curl_multi_poll(c->multi, fd >= 0 ? &extra : NULL, fd >= 0 ? 1 : 0, ms, NULL);
		if (extra.revents)
			break;
	}
	return c->multi ? c->n_active + c->n_queued : 0;
}

int orange_send_run(struct orange_client *c, double timeout)
{
	return orange_send_run_fd(c, timeout, -1);
}

/* Client freed with work in flight: every request still gets its done(),
 * an ambiguous one for those on the wire. */
void orange_send_abort_all(struct orange_client *c)
{
	struct orange_error err = ORANGE_ERROR_INIT;
	int i;

	if (!c->multi)
		return;
	for (i = 0; i < c->max_parallel; i++) {
		struct orange_slot *s = &c->slots[i];
		if (s->job) {
			struct orange_job *j = s->job;
			release_slot(c, j);
			orange_fail(&err, ORANGE_ERR_NETWORK, true,
				    "client closed while the request was in flight");
			complete(j, NULL, &err);
		}
	}
	orange_fail(&err, ORANGE_ERR_NETWORK, false, "client closed before the request was sent");
	fail_queue(c, &err);
	orange_error_release(&err);
	for (i = 0; i < c->max_parallel; i++) {
		if (c->slots[i].easy)
			curl_easy_cleanup(c->slots[i].easy);
		orange_headers_free(c->slots[i].hdrs);
		slot_forget_bearer(&c->slots[i]);
	}
	free(c->slots);
	free(c->free_slots);
	c->slots = NULL;
	c->free_slots = NULL;
	curl_multi_cleanup(c->multi);
	c->multi = NULL;
}
