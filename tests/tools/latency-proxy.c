/*
 * latency-proxy: a TCP proxy for tests that adds a delay to every chunk of
 * bytes, each way, so griot meets a database (or an Orange) that is tens of
 * milliseconds away.  One thread, poll(2).
 *
 *   latency-proxy --listen 127.0.0.1:0 (--to HOST:PORT | --to-unix PATH)
 *                 [--delay MS] [--delay-file FILE]
 *
 * Every chunk read from one side is written to the other side DELAY ms
 * later, in order (a chunk is never written before the one read before it).
 * --delay-file FILE holds "MS" (both ways) or "UP DOWN" (client->server,
 * server->client); it is read at start and again on SIGUSR1, so a test can
 * change the latency while connections are open.  Buffering is bounded: a
 * side is not read while PROXY_MAX_QUEUED bytes wait to be written to the
 * other.  Half-closes are forwarded after the queued bytes.  Prints
 * "ready PORT" on stdout once listening; SIGTERM/SIGINT end it (exit 0).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

enum {
	PROXY_CHUNK = 64 * 1024,		/* one read(2) at most */
	PROXY_MAX_QUEUED = 1024 * 1024,		/* per direction, before reads pause */
	PROXY_MAX_DELAY_MS = 600 * 1000,	/* sanity bound on a delay */
	PROXY_MAX_CONNS = 1024,
};
enum { UP, DOWN, NDIR };			/* client->server, server->client */

struct chunk {
	struct chunk *next;
	int64_t due_ms;
	size_t len, off;
	char data[];
};

struct dir {
	struct chunk *head, *tail;
	size_t queued;
	int64_t last_due;
	int eof;		/* the source side sent EOF */
	int shut;		/* EOF forwarded to the destination */
};

struct conn {
	int fd[2];		/* [0] client, [1] server */
	struct dir d[NDIR];	/* UP reads fd[0] writes fd[1]; DOWN the reverse */
	int dead;
};

static volatile sig_atomic_t stop_flag, reload_flag;
static int delay_ms[NDIR];
static const char *delay_file;
static struct conn *conns[PROXY_MAX_CONNS];
static int nconns;

static void on_stop(int sig) { (void)sig; stop_flag = 1; }
static void on_reload(int sig) { (void)sig; reload_flag = 1; }

/* now_ms: the monotonic clock in milliseconds. */
static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* parse_delay: one delay in ms from S into *out; 0 on success. */
static int parse_delay(const char *s, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || v < 0 || v > PROXY_MAX_DELAY_MS)
		return -1;
	*out = (int)v;
	return 0;
}

/*
 * load_delay_file: read "MS" or "UP DOWN" from delay_file into delay_ms.
 * Keeps the old delays (and says why on stderr) when the file is bad.
 */
static void load_delay_file(void)
{
	char buf[64], a[32] = "", b[32] = "";
	int up, down, n;
	FILE *f;

	if (!delay_file)
		return;
	f = fopen(delay_file, "r");
	if (!f) {
		fprintf(stderr, "latency-proxy: %s: %s\n", delay_file, strerror(errno));
		return;
	}
	n = fgets(buf, sizeof(buf), f) ? sscanf(buf, "%31s %31s", a, b) : 0;
	fclose(f);
	if (n < 1 || parse_delay(a, &up) || (n == 2 ? parse_delay(b, &down) : (down = up, 0))) {
		fprintf(stderr, "latency-proxy: %s:1: expected \"MS\" or \"UP DOWN\" (0..%d)\n",
			delay_file, PROXY_MAX_DELAY_MS);
		return;
	}
	delay_ms[UP] = up;
	delay_ms[DOWN] = down;
	fprintf(stderr, "latency-proxy: delay %d ms up, %d ms down\n", up, down);
}

static void set_nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* connect_upstream: a connected socket to the --to/--to-unix target, or -1. */
static int connect_upstream(const struct sockaddr *sa, socklen_t salen)
{
	int one = 1, fd;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, sa, salen) < 0) {
		fprintf(stderr, "latency-proxy: connect upstream: %s\n", strerror(errno));
		close(fd);
		return -1;
	}
	if (sa->sa_family == AF_INET)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	set_nonblock(fd);
	return fd;
}

static void conn_free(struct conn *c)
{
	int i;

	for (i = 0; i < NDIR; i++) {
		while (c->d[i].head) {
			struct chunk *n = c->d[i].head->next;

			free(c->d[i].head);
			c->d[i].head = n;
		}
	}
	close(c->fd[0]);
	close(c->fd[1]);
	free(c);
}

/* src_fd / dst_fd: the sides a direction reads from and writes to. */
static int src_fd(const struct conn *c, int d) { return c->fd[d == UP ? 0 : 1]; }
static int dst_fd(const struct conn *c, int d) { return c->fd[d == UP ? 1 : 0]; }

/*
 * pump_read: read one chunk from direction D's source and queue it with its
 * due time (never before the previous chunk's).  Marks EOF; a read error
 * kills the connection.
 */
static void pump_read(struct conn *c, int d, int64_t now)
{
	struct dir *q = &c->d[d];
	char buf[PROXY_CHUNK];
	struct chunk *ch;
	ssize_t n;

	n = read(src_fd(c, d), buf, sizeof(buf));
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			c->dead = 1;
		return;
	}
	if (n == 0) {
		q->eof = 1;
		return;
	}
	ch = malloc(sizeof(*ch) + (size_t)n);
	if (!ch) {
		c->dead = 1;
		return;
	}
	memcpy(ch->data, buf, (size_t)n);
	ch->len = (size_t)n;
	ch->off = 0;
	ch->next = NULL;
	ch->due_ms = now + delay_ms[d];
	if (ch->due_ms < q->last_due)
		ch->due_ms = q->last_due;
	q->last_due = ch->due_ms;
	if (q->tail)
		q->tail->next = ch;
	else
		q->head = ch;
	q->tail = ch;
	q->queued += (size_t)n;
}

/*
 * pump_write: write the due chunks of direction D, in order, until one is
 * not due or the socket is full; forward EOF once the queue is empty.
 */
static void pump_write(struct conn *c, int d, int64_t now)
{
	struct dir *q = &c->d[d];
	ssize_t n;

	while (q->head && q->head->due_ms <= now) {
		struct chunk *ch = q->head;

		n = send(dst_fd(c, d), ch->data + ch->off, ch->len - ch->off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				c->dead = 1;
			return;
		}
		ch->off += (size_t)n;
		q->queued -= (size_t)n;
		if (ch->off < ch->len)
			return;
		q->head = ch->next;
		if (!q->head)
			q->tail = NULL;
		free(ch);
	}
	if (!q->head && q->eof && !q->shut) {
		shutdown(dst_fd(c, d), SHUT_WR);
		q->shut = 1;
	}
}

/* accept_one: accept a client and connect it upstream. */
static void accept_one(int lfd, const struct sockaddr *up, socklen_t uplen)
{
	struct conn *c;
	int one = 1, cfd, sfd;

	cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (cfd < 0)
		return;
	if (nconns >= PROXY_MAX_CONNS || (sfd = connect_upstream(up, uplen)) < 0) {
		close(cfd);
		return;
	}
	setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(cfd);
		close(sfd);
		return;
	}
	c->fd[0] = cfd;
	c->fd[1] = sfd;
	conns[nconns++] = c;
}

/* parse_inet: fill *in from HOST:PORT (an IPv4 address); port 0 only when
 * ANY_PORT.  0 on success. */
static int parse_inet(const char *spec, int any_port, struct sockaddr_in *in)
{
	const char *colon = spec ? strrchr(spec, ':') : NULL;
	char host[64], *end;
	long port;

	if (!colon || (size_t)(colon - spec) >= sizeof(host))
		return -1;
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = 0;
	port = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || port < (any_port ? 0 : 1) || port > 65535)
		return -1;
	memset(in, 0, sizeof(*in));
	if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
		return -1;
	in->sin_family = AF_INET;
	in->sin_port = htons((uint16_t)port);
	return 0;
}

/* parse_target: fill *sa from --to HOST:PORT or --to-unix PATH; 0 on success. */
static int parse_target(const char *to, const char *to_unix, struct sockaddr_storage *sa,
			socklen_t *len)
{
	memset(sa, 0, sizeof(*sa));
	if (to_unix) {
		struct sockaddr_un *un = (struct sockaddr_un *)sa;

		if (strlen(to_unix) >= sizeof(un->sun_path))
			return -1;
		un->sun_family = AF_UNIX;
		strcpy(un->sun_path, to_unix);
		*len = sizeof(*un);
		return 0;
	}
	*len = sizeof(struct sockaddr_in);
	return parse_inet(to, 0, (struct sockaddr_in *)sa);
}

/* listen_on: a listening socket on HOST:PORT (port 0: any); its port in *port. */
static int listen_on(const char *spec, int *port)
{
	struct sockaddr_in in;
	socklen_t len = sizeof(in);
	int one = 1, fd;

	if (parse_inet(spec, 1, &in) < 0) {
		errno = EINVAL;
		return -1;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&in, len) < 0 || listen(fd, 128) < 0) {
		close(fd);
		return -1;
	}
	getsockname(fd, (struct sockaddr *)&in, &len);
	*port = ntohs(in.sin_port);
	return fd;
}

/* next_wake: poll timeout until the earliest due chunk (-1: none). */
static int next_wake(int64_t now)
{
	int64_t best = -1;
	int i, d;

	for (i = 0; i < nconns; i++)
		for (d = 0; d < NDIR; d++) {
			struct chunk *h = conns[i]->d[d].head;

			if (h && (best < 0 || h->due_ms < best))
				best = h->due_ms;
		}
	if (best < 0)
		return -1;
	return best <= now ? 0 : (int)(best - now);
}

static void usage(void)
{
	fprintf(stderr, "usage: latency-proxy --listen HOST:PORT (--to HOST:PORT | --to-unix PATH)"
		" [--delay MS] [--delay-file FILE]\n");
	exit(64);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "to", required_argument, NULL, 't' },
		{ "to-unix", required_argument, NULL, 'u' },
		{ "delay", required_argument, NULL, 'd' },
		{ "delay-file", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	const char *listen_spec = "127.0.0.1:0", *to = NULL, *to_unix = NULL;
	struct sockaddr_storage up;
	socklen_t uplen;
	struct sigaction sa;
	struct pollfd *pfd;
	int c, lfd, port, i, d;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l': listen_spec = optarg; break;
		case 't': to = optarg; break;
		case 'u': to_unix = optarg; break;
		case 'd':
			if (parse_delay(optarg, &delay_ms[UP]))
				usage();
			delay_ms[DOWN] = delay_ms[UP];
			break;
		case 'f': delay_file = optarg; break;
		default: usage();
		}
	}
	if (parse_target(to, to_unix, &up, &uplen) < 0)
		usage();
	load_delay_file();
	lfd = listen_on(listen_spec, &port);
	if (lfd < 0) {
		fprintf(stderr, "latency-proxy: cannot listen on %s: %s\n", listen_spec, strerror(errno));
		return 69;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_reload;
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	printf("ready %d\n", port);
	fflush(stdout);

	pfd = calloc(1 + 2 * PROXY_MAX_CONNS, sizeof(*pfd));
	if (!pfd)
		return 71;
	while (!stop_flag) {
		int64_t now = now_ms();
		int n = 1;

		if (reload_flag) {
			reload_flag = 0;
			load_delay_file();
		}
		pfd[0].fd = lfd;
		pfd[0].events = POLLIN;
		for (i = 0; i < nconns; i++)
			for (d = 0; d < NDIR; d++) {
				struct conn *cn = conns[i];
				struct dir *q = &cn->d[d];
				struct pollfd *p = &pfd[n++];

				/* slot 2i+d watches the source of direction d for reading
				 * and the destination of the other direction for writing */
				p->fd = src_fd(cn, d);
				p->events = 0;
				if (!q->eof && q->queued < PROXY_MAX_QUEUED)
					p->events |= POLLIN;
				if (cn->d[!d].head && cn->d[!d].head->due_ms <= now)
					p->events |= POLLOUT;
				if (!p->events)
					p->fd = -1;	/* nothing wanted: no POLLHUP spin */
			}
		if (poll(pfd, (nfds_t)n, next_wake(now)) < 0 && errno != EINTR)
			break;
		now = now_ms();
		if (pfd[0].revents & POLLIN)
			accept_one(lfd, (struct sockaddr *)&up, uplen);
		for (i = 0; i < nconns; i++)
			for (d = 0; d < NDIR; d++) {
				short re = pfd[1 + 2 * i + d].revents;

				if (1 + 2 * i + d >= n)
					break;	/* accepted during this round */
				if (re & (POLLIN | POLLHUP | POLLERR))
					pump_read(conns[i], d, now);
			}
		for (i = 0; i < nconns; i++)
			for (d = 0; d < NDIR; d++)
				pump_write(conns[i], d, now);
		for (i = 0; i < nconns; i++) {
			struct conn *cn = conns[i];

			if (cn->dead || (cn->d[UP].shut && cn->d[DOWN].shut)) {
				conn_free(cn);
				conns[i--] = conns[--nconns];
			}
		}
	}
	for (i = 0; i < nconns; i++)
		conn_free(conns[i]);
	free(pfd);
	close(lfd);
	return 0;
}
