#include "receiver/guard.h"
#include "core/log.h"
#include "core/util.h"

#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define ADDR_BUCKETS 1024
#define SWEEP_INTERVAL_MS 200

struct guard_conn {
	struct guard_conn *prev, *next;
	int fd;
	double deadline;            /* monotonic; 0 = none (request whole) */
	struct guard_addr *addr;    /* NULL when not counted */
	bool cut;                   /* shut down by the sweeper */
};

struct guard_addr {
	struct guard_addr *next;
	struct ip_addr ip;
	unsigned n;
};

static unsigned addr_hash(const struct ip_addr *ip)
{
	unsigned h = 2166136261u;
	size_t i, n = ip->family == AF_INET ? 4 : 16;

	for (i = 0; i < n; i++)
		h = (h ^ ip->a[i]) * 16777619u;
	return h % ADDR_BUCKETS;
}

/* The count of ip, created when create; NULL when absent.  Locked. */
static struct guard_addr *addr_find(struct guard *g, const struct ip_addr *ip, bool create)
{
	unsigned h = addr_hash(ip);
	struct guard_addr *a;

	for (a = g->addrs[h]; a; a = a->next)
		if (a->ip.family == ip->family && !memcmp(a->ip.a, ip->a, sizeof(ip->a)))
			return a;
	if (!create)
		return NULL;
	a = xcalloc(1, sizeof(*a));
	a->ip = *ip;
	a->next = g->addrs[h];
	g->addrs[h] = a;
	return a;
}

/* Drop one connection from a's count; free it at zero.  Locked. */
static void addr_put(struct guard *g, struct guard_addr *a)
{
	struct guard_addr **pp;

	if (--a->n)
		return;
	for (pp = &g->addrs[addr_hash(&a->ip)]; *pp; pp = &(*pp)->next)
		if (*pp == a) {
			*pp = a->next;
			break;
		}
	free(a);
}

/* Shut down every connection past its deadline (the library then closes
 * it as a client that went away). */
static void *sweeper_main(void *arg)
{
	struct guard *g = arg;
	struct guard_conn *c;
	struct timespec ts;

	pthread_mutex_lock(&g->lock);
	while (!g->stop) {
		double now = time_mono();

		for (c = g->conns; c; c = c->next) {
			if (c->cut || !c->deadline || now < c->deadline)
				continue;
			shutdown(c->fd, SHUT_RDWR);
			c->cut = true;
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += SWEEP_INTERVAL_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&g->wake, &g->lock, &ts);
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

int guard_start(struct guard *g, unsigned per_addr_max, double deadline)
{
	memset(g, 0, sizeof(*g));
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->wake, NULL);
	g->per_addr_max = per_addr_max;
	g->deadline = deadline;
	g->addrs = xcalloc(ADDR_BUCKETS, sizeof(*g->addrs));
	if (pthread_create(&g->sweeper, NULL, sweeper_main, g))
		return error("cannot start the connection guard thread");
	g->running = true;
	return 0;
}

void guard_stop(struct guard *g)
{
	unsigned i;

	if (!g->addrs)
		return;
	if (g->running) {
		pthread_mutex_lock(&g->lock);
		g->stop = true;
		pthread_cond_signal(&g->wake);
		pthread_mutex_unlock(&g->lock);
		pthread_join(g->sweeper, NULL);
		g->running = false;
	}
	while (g->conns)
		guard_close(g, g->conns);
	for (i = 0; i < ADDR_BUCKETS; i++)
		while (g->addrs[i]) {
			struct guard_addr *a = g->addrs[i];
			g->addrs[i] = a->next;
			free(a);
		}
	free(g->addrs);
	g->addrs = NULL;
	pthread_mutex_destroy(&g->lock);
	pthread_cond_destroy(&g->wake);
}

bool guard_admit(struct guard *g, const struct ip_addr *ip)
{
	struct guard_addr *a;
	bool ok;

	if (!g->per_addr_max)
		return true;
	pthread_mutex_lock(&g->lock);
	a = addr_find(g, ip, false);
	ok = !a || a->n < g->per_addr_max;
	pthread_mutex_unlock(&g->lock);
	return ok;
}

struct guard_conn *guard_open(struct guard *g, int fd, const struct ip_addr *ip, bool limited)
{
	struct guard_conn *c = xcalloc(1, sizeof(*c));

	c->fd = fd;
	pthread_mutex_lock(&g->lock);
	c->deadline = time_mono() + g->deadline;
	if (limited && g->per_addr_max) {
		c->addr = addr_find(g, ip, true);
		c->addr->n++;
	}
	c->next = g->conns;
	if (g->conns)
		g->conns->prev = c;
	g->conns = c;
	pthread_mutex_unlock(&g->lock);
	return c;
}

bool guard_close(struct guard *g, struct guard_conn *c)
{
	bool cut;

	if (!c)
		return false;
	pthread_mutex_lock(&g->lock);
	if (c->prev)
		c->prev->next = c->next;
	else
		g->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (c->addr)
		addr_put(g, c->addr);
	pthread_mutex_unlock(&g->lock);
	cut = c->cut;
	free(c);
	return cut;
}

void guard_pause(struct guard *g, struct guard_conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&g->lock);
	c->deadline = 0;
	pthread_mutex_unlock(&g->lock);
}

void guard_rearm(struct guard *g, struct guard_conn *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&g->lock);
	c->deadline = time_mono() + g->deadline;
	pthread_mutex_unlock(&g->lock);
}
