/*
 * orange-sim delivery receipts: each accepted message gets a plan (final
 * status from --dr-mix, maybe an intermediate MessageWaiting, maybe a
 * duplicate), queued by due time in a min-heap and POSTed by --dr-threads
 * threads (default one), each over its own keep-alive libcurl handle.  Only a 200 counts as delivered;
 * anything else is retried with backoff up to --dr-max-tries.
 */
#include "tests/sim/sim.h"
#include "core/json.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "core/util.h"

#include <curl/curl.h>
#include <string.h>
#include <time.h>

struct dr_item {
	double due;              /* monotonic seconds */
	uint64_t seq;            /* FIFO among equal due times */
	char rid[SIM_ID_LEN];
	char address[SIM_ADDR_MAX];
	unsigned char status;
	bool final;
	bool dup;
	int attempt;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t threads[SIM_DR_MAX_THREADS];
	int nthreads;
	bool running, stop;
	struct dr_item *heap;
	size_t n, alloc;
	uint64_t seq;
	/* --dr-reorder: one message's receipts wait for the next message's,
	 * which then overtake them (at most HOLD_SECS). */
	struct dr_item held[3];
	int nheld;
	double held_deadline;
} dq = { .lock = PTHREAD_MUTEX_INITIALIZER };

#define HOLD_SECS 5.0

static bool before(const struct dr_item *a, const struct dr_item *b)
{
	return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

/* dq.lock held */
static void heap_push(struct dr_item *it)
{
	size_t i;

	if (dq.n == dq.alloc) {
		dq.alloc = dq.alloc ? 2 * dq.alloc : 1024;
		dq.heap = xrealloc(dq.heap, dq.alloc * sizeof(*dq.heap));
	}
	it->seq = dq.seq++;
	i = dq.n++;
	while (i > 0 && before(it, &dq.heap[(i - 1) / 2])) {
		dq.heap[i] = dq.heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	dq.heap[i] = *it;
}

/* dq.lock held, dq.n > 0 */
static void heap_pop(struct dr_item *out)
{
	struct dr_item last;
	size_t i = 0;

	*out = dq.heap[0];
	last = dq.heap[--dq.n];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		const struct dr_item *mv = &last;
		if (l < dq.n && before(&dq.heap[l], mv)) {
			m = l;
			mv = &dq.heap[l];
		}
		if (r < dq.n && before(&dq.heap[r], mv))
			m = r;
		if (m == i)
			break;
		dq.heap[i] = dq.heap[m];
		i = m;
	}
	if (dq.n)
		dq.heap[i] = last;
}

size_t sim_dr_pending(void)
{
	size_t n;

	pthread_mutex_lock(&dq.lock);
	n = dq.n + (size_t)dq.nheld;
	pthread_mutex_unlock(&dq.lock);
	return n;
}

static int pick_status(void)
{
	int total = 0, i, r;

	for (i = 0; i < DR_NSTATUS; i++)
		total += sim.o.dr_weights[i];
	if (total <= 0)
		return DR_DELIVERED_TO_TERMINAL;
	r = (int)(sim_rand64() % (uint64_t)total);
	for (i = 0; i < DR_NSTATUS; i++) {
		if (r < sim.o.dr_weights[i])
			return i;
		r -= sim.o.dr_weights[i];
	}
	return DR_DELIVERED_TO_TERMINAL;
}

/* sim.lock held (randomness and options); takes dq.lock after it. */
void sim_dr_plan(const char *rid, const char *address)
{
	struct dr_item it[3];
	double delay = sim.o.dr_delay_ms / 1000.0, base, gap;
	int n = 0, i, st;

	if (!sim.sub_url && !sim.o.dr_url) {
		sim.dr_no_target++;
		return;
	}
	base = time_mono() + delay;
	gap = delay / 2 > 0.02 ? delay / 2 : 0.02;
	memset(it, 0, sizeof(it));
	st = pick_status();
	for (i = 0; i < 3; i++) {
		memcpy(it[i].rid, rid, SIM_ID_LEN);
		strlcpy_(it[i].address, address, sizeof(it[i].address));
	}
	if (st != DR_MESSAGE_WAITING && sim.o.dr_waiting > 0 && sim_rand01() < sim.o.dr_waiting) {
		/* With --dr-reorder the stale MessageWaiting comes last. */
		bool late = sim.o.dr_reorder;
		it[n].status = DR_MESSAGE_WAITING;
		it[n].final = false;
		it[n].due = late ? base + gap : base;
		n++;
		if (!late)
			base += gap;
	}
	it[n].status = (unsigned char)st;
	it[n].final = true;
	it[n].due = base;
	n++;
	if (sim.o.dr_dup > 0 && sim_rand01() < sim.o.dr_dup) {
		it[n] = it[n - 1];
		it[n].dup = true;
		it[n].due = base + 0.01 + sim_rand01() * gap;
		n++;
	}
	pthread_mutex_lock(&dq.lock);
	if (sim.o.dr_reorder && !dq.nheld) {
		memcpy(dq.held, it, sizeof(it));
		dq.nheld = n;
		dq.held_deadline = base + HOLD_SECS;
	} else {
		double last = 0;
		for (i = 0; i < n; i++) {
			heap_push(&it[i]);
			if (it[i].due > last)
				last = it[i].due;
		}
		/* The held message's receipts go after this one's, keeping
		 * their own order. */
		double first = 0, shift;
		for (i = 0; i < dq.nheld; i++)
			if (!i || dq.held[i].due < first)
				first = dq.held[i].due;
		shift = first > last ? 0 : last - first + 0.001;
		for (i = 0; i < dq.nheld; i++) {
			dq.held[i].due += shift;
			heap_push(&dq.held[i]);
		}
		dq.nheld = 0;
	}
	pthread_cond_signal(&dq.cond);
	pthread_mutex_unlock(&dq.lock);
}

static size_t discard(char *ptr, size_t size, size_t nmemb, void *ud)
{
	return size * nmemb;
}

static void record(const char *ev, const struct dr_item *it, long http)
{
	struct json_gen *g = json_gen_new(false);
	const char *buf;
	size_t len;

	json_map_open(g);
	json_kv_str(g, "resource_id", it->rid);
	json_kv_str(g, "address", it->address);
	json_kv_str(g, "status", sim_dr_status_names[it->status]);
	json_kv_bool(g, "final", it->final);
	json_kv_bool(g, "dup", it->dup);
	json_kv_int(g, "attempt", it->attempt + 1);
	if (http >= 0)
		json_kv_int(g, "http_status", http);
	json_map_close(g);
	json_gen_result(g, &buf, &len);
	sim_ledger_write(ev, sim_now_us(), buf, len);
	json_gen_free(g);
}

static void deliver(CURL *curl, struct curl_slist *hdrs, struct dr_item *it)
{
	struct json_gen *g = json_gen_new(false);
	const char *body;
	size_t blen;
	char *url = NULL;
	long http = 0;
	CURLcode cc;

	pthread_mutex_lock(&sim.lock);
	if (sim.sub_url)
		url = xstrdup(sim.sub_url);
	else if (sim.o.dr_url)
		url = xstrdup(sim.o.dr_url);
	if (!url)
		sim.dr_no_target++;
	pthread_mutex_unlock(&sim.lock);
	if (!url) {
		json_gen_free(g);
		return;
	}

	json_map_open(g);
	json_key(g, "deliveryInfoNotification");
	json_map_open(g);
	json_kv_str(g, "callbackData", it->rid);
	json_key(g, "deliveryInfo");
	json_map_open(g);
	json_kv_str(g, "address", it->address);
	json_kv_str(g, "deliveryStatus", sim_dr_status_names[it->status]);
	json_map_close(g);
	json_map_close(g);
	json_map_close(g);
	json_gen_result(g, &body, &blen);

	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)blen);
	cc = curl_easy_perform(curl);
	if (cc == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &http);
	json_gen_free(g);
	free(url);

	pthread_mutex_lock(&sim.lock);
	sim.dr_attempts++;
	if (http == 200) {
		sim.dr_sent++;
		record("dr", it, -1);
		pthread_mutex_unlock(&sim.lock);
		return;
	}
	sim.dr_failed++;
	if (it->attempt + 1 >= sim.o.dr_max_tries) {
		sim.dr_gave_up++;
		record("dr_gave_up", it, http);
		pthread_mutex_unlock(&sim.lock);
		warning("DR %s: giving up after %d tries (last: %s)", it->rid, it->attempt + 1,
			cc == CURLE_OK ? "HTTP error" : curl_easy_strerror(cc));
		return;
	}
	{
		/* Backoff: base, 2x, 4x … capped at 64x base. */
		int shift = it->attempt < 6 ? it->attempt : 6;
		double wait = sim.o.dr_retry_base_ms / 1000.0 * (double)(1 << shift);
		pthread_mutex_unlock(&sim.lock);
		debug("DR %s: attempt %d failed (%ld%s%s), retry in %.2fs", it->rid, it->attempt + 1,
		      http, cc == CURLE_OK ? "" : ", ", cc == CURLE_OK ? "" : curl_easy_strerror(cc),
		      wait);
		it->attempt++;
		it->due = time_mono() + wait;
		pthread_mutex_lock(&dq.lock);
		heap_push(it);
		pthread_mutex_unlock(&dq.lock);
	}
}

static void *dr_thread(void *arg)
{
	CURL *curl = curl_easy_init();
	struct curl_slist *hdrs = NULL;

	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, "Expect:");
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "orange-sim");
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	if (sim.o.dr_cacert)
		curl_easy_setopt(curl, CURLOPT_CAINFO, sim.o.dr_cacert);
	if (sim.o.dr_insecure) {
		curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
	}

	pthread_mutex_lock(&dq.lock);
	while (!dq.stop) {
		struct dr_item it;
		double now = time_mono();
		int i;

		if (dq.nheld && dq.held_deadline <= now) {
			/* No partner came: deliver the held receipts as they are. */
			for (i = 0; i < dq.nheld; i++)
				heap_push(&dq.held[i]);
			dq.nheld = 0;
		}
		if (!dq.n || dq.heap[0].due > now) {
			if (!dq.n && !dq.nheld) {
				pthread_cond_wait(&dq.cond, &dq.lock);
			} else {
				struct timespec ts;
				double due = dq.n ? dq.heap[0].due : dq.held_deadline;
				if (dq.nheld && dq.held_deadline < due)
					due = dq.held_deadline;
				ts.tv_sec = (time_t)due;
				ts.tv_nsec = (long)((due - (double)ts.tv_sec) * 1e9);
				pthread_cond_timedwait(&dq.cond, &dq.lock, &ts);
			}
			continue;
		}
		heap_pop(&it);
		pthread_mutex_unlock(&dq.lock);
		deliver(curl, hdrs, &it);
		pthread_mutex_lock(&dq.lock);
	}
	pthread_mutex_unlock(&dq.lock);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(curl);
	return NULL;
}

int sim_dr_start(void)
{
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&dq.cond, &ca);
	pthread_condattr_destroy(&ca);
	for (dq.nthreads = 0; dq.nthreads < sim.o.dr_threads; dq.nthreads++) {
		if (pthread_create(&dq.threads[dq.nthreads], NULL, dr_thread, NULL)) {
			dq.running = dq.nthreads > 0;
			sim_dr_stop();
			return error("cannot start the DR threads");
		}
	}
	dq.running = true;
	return 0;
}

void sim_dr_stop(void)
{
	int i;

	if (!dq.running)
		return;
	pthread_mutex_lock(&dq.lock);
	dq.stop = true;
	pthread_cond_broadcast(&dq.cond);
	pthread_mutex_unlock(&dq.lock);
	for (i = 0; i < dq.nthreads; i++)
		pthread_join(dq.threads[i], NULL);
	dq.nthreads = 0;
	dq.running = false;
	if (dq.n || dq.nheld)
		info("%zu delivery receipts still pending at exit", dq.n + (size_t)dq.nheld);
	free(dq.heap);
	dq.heap = NULL;
	dq.n = dq.alloc = 0;
	pthread_cond_destroy(&dq.cond);
}
