#ifndef RECEIVER_GUARD_H
#define RECEIVER_GUARD_H
/*
 * Connection guard for a server facing hostile clients: how many
 * connections each source address holds (a per-address limit), and an
 * absolute deadline by which a request's headers and body must have
 * arrived, however slowly they trickle.  A sweeper thread shuts down the
 * socket of every connection past its deadline; the HTTP library then
 * sees the client gone and closes it.
 *
 * Thread-safe.  The caller registers a connection when the HTTP library
 * starts it (guard_open) and removes it when the library says it closed,
 * before the library closes its socket (guard_close), so that the
 * sweeper never touches a descriptor that belongs to someone else.
 */
#include "receiver/acl.h"

#include <pthread.h>
#include <stdbool.h>

struct guard_conn;

struct guard {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t sweeper;
	bool running, stop;
	unsigned per_addr_max;      /* 0 = no per-address limit */
	double deadline;            /* seconds for headers + body */
	struct guard_conn *conns;   /* every open connection */
	struct guard_addr **addrs;  /* per-address counts, hashed */
};

/* Start the guard and its sweeper; 0, or -1 after error(). */
int guard_start(struct guard *g, unsigned per_addr_max, double deadline);
/* Stop the sweeper and free everything (connections must be closed). */
void guard_stop(struct guard *g);

/* May one more connection come from ip?  (Checked at accept time.) */
bool guard_admit(struct guard *g, const struct ip_addr *ip);
/*
 * A connection on socket fd from ip started; counted against ip's limit
 * when limited.  Its deadline starts now.  Returns its handle.
 */
struct guard_conn *guard_open(struct guard *g, int fd, const struct ip_addr *ip,
			      bool limited);
/* The connection is gone (its socket not yet closed); true when the
 * guard had cut it at its deadline. */
bool guard_close(struct guard *g, struct guard_conn *c);
/* The request is whole: no deadline until the next one (guard_rearm). */
void guard_pause(struct guard *g, struct guard_conn *c);
/* A request ended: the next one on this connection has a fresh deadline. */
void guard_rearm(struct guard *g, struct guard_conn *c);

#endif
