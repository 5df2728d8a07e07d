/*
 * slow-client: hold N connections to a server open from a chosen source
 * address, trickling a request a few bytes at a time (a "slowloris"), for
 * tests and benches of servers facing hostile clients.
 *
 *   slow-client --connect ADDR:PORT [--source ADDR] [-n N] [--interval MS]
 *               [--bytes K] [--duration S] [--request TEXT] [--reconnect]
 *
 * Opens N sockets (bound to --source, e.g. 127.0.0.2 for a loopback
 * address outside an allowlist), prints "holding N" on stdout once every
 * connect() has completed, then every --interval ms sends the next K bytes
 * of the request to each socket still open (after the request text: '['
 * bytes forever, a body that never ends).  It stops after --duration
 * seconds, on SIGTERM or SIGINT, or as soon as every socket was closed by
 * the server, and prints
 *   connected=N refused=R closed_by_peer=C open_at_end=O longest_open_ms=L
 * where longest_open_ms is the longest a closed socket had stayed open.
 * With --reconnect the sockets the server closed are opened again every
 * --interval (an attacker keeping up the pressure until --duration), and the
 * summary adds reconnects=K.
 * Bounded in count (20,000 sockets) and time (3,600 s).  Exit 0, or 64
 * (EX_USAGE) / 71 (EX_OSERR).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_SOCKETS 20000
#define MAX_SECONDS 3600
#define EX_USAGE 64
#define EX_OSERR 71

static const char default_request[] =
	"POST /orange/dr/slow-client-0123456789 HTTP/1.1\r\n"
	"Host: slow\r\n"
	"Content-Type: application/json\r\n"
	"Content-Length: 1000000\r\n"
	"\r\n";

struct sock {
	int fd;
	size_t sent;        /* bytes of the request sent so far */
	double opened;      /* when connect() completed */
	int state;          /* 0 connecting, 1 open, 2 closed by peer, 3 refused */
};

static volatile sig_atomic_t stopping;

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Split "ADDR:PORT" / "[V6]:PORT" into a socket address; 0 / -1. */
static int parse_addr(const char *s, int port_needed, struct sockaddr_storage *ss,
		      socklen_t *len)
{
	char host[128];
	const char *colon = port_needed ? strrchr(s, ':') : NULL;
	size_t hl = colon ? (size_t)(colon - s) : strlen(s);
	long port = 0;
	char *end;

	if (port_needed && !colon)
		return -1;
	if (hl >= sizeof(host))
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	if (colon) {
		errno = 0;
		port = strtol(colon + 1, &end, 10);
		if (errno || *end || port < 0 || port > 65535)
			return -1;
	}
	memset(ss, 0, sizeof(*ss));
	if (strchr(host, ':')) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((unsigned short)port);
		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			return -1;
		*len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;
		a->sin_family = AF_INET;
		a->sin_port = htons((unsigned short)port);
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return -1;
		*len = sizeof(*a);
	}
	return 0;
}

static long num_arg(const char *name, const char *v, long min, long max)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || !*v || n < min || n > max) {
		fprintf(stderr, "slow-client: --%s: expected %ld..%ld, got '%s'\n", name, min, max, v);
		exit(EX_USAGE);
	}
	return n;
}

/* Room for n sockets: the soft descriptor limit raised to the hard one. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* Open and start connecting s (bound to src when given): 0, or -1 when
 * the connection was refused at once. */
static int open_sock(struct sock *s, const struct sockaddr_storage *dst, socklen_t dlen,
		     const struct sockaddr_storage *src, socklen_t slen, int *nopen, int *pending)
{
	int fd = socket(dst->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		fprintf(stderr, "slow-client: socket: %s\n", strerror(errno));
		exit(EX_OSERR);
	}
	if (src && bind(fd, (const struct sockaddr *)src, slen) < 0) {
		fprintf(stderr, "slow-client: bind: %s\n", strerror(errno));
		exit(EX_OSERR);
	}
	s->fd = fd;
	s->sent = 0;
	if (connect(fd, (const struct sockaddr *)dst, dlen) == 0) {
		s->state = 1;
		s->opened = now_s();
		(*nopen)++;
	} else if (errno == EINPROGRESS) {
		s->state = 0;
		(*pending)++;
	} else {
		close(fd);
		s->fd = -1;
		s->state = 3;
		return -1;
	}
	return 0;
}

/* Open again every socket the server closed; how many. */
static long reopen_closed(struct sock *v, long n, const struct sockaddr_storage *dst,
			  socklen_t dlen, const struct sockaddr_storage *src, socklen_t slen,
			  int *nopen, int *pending)
{
	long i, k = 0;

	for (i = 0; i < n; i++)
		if (v[i].state == 2 && open_sock(&v[i], dst, dlen, src, slen, nopen, pending) == 0)
			k++;
	return k;
}

/* Mark s closed by the peer and note how long it had stayed open. */
static void peer_closed(struct sock *s, double now, double *longest, int *nopen)
{
	if (s->state == 1 && now - s->opened > *longest)
		*longest = now - s->opened;
	close(s->fd);
	s->fd = -1;
	s->state = 2;
	(*nopen)--;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "connect", required_argument, NULL, 'c' },
		{ "source", required_argument, NULL, 's' },
		{ "interval", required_argument, NULL, 'i' },
		{ "bytes", required_argument, NULL, 'b' },
		{ "duration", required_argument, NULL, 'd' },
		{ "request", required_argument, NULL, 'r' },
		{ "reconnect", no_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 }
	};
	struct sockaddr_storage dst, src;
	socklen_t dlen = 0, slen = 0;
	const char *connect_to = NULL, *source = NULL, *req = default_request;
	long n = 1, interval_ms = 1000, bytes = 1, duration = 10;
	struct sock *v;
	struct pollfd *pf;
	size_t reqlen;
	double start, end, next_send, longest = 0;
	int c, i, nopen = 0, pending = 0, refused = 0, closed = 0, announced = 0;
	int reconnect = 0;
	long reconnects = 0;

	while ((c = getopt_long(argc, argv, "n:", opts, NULL)) != -1) {
		switch (c) {
		case 'c': connect_to = optarg; break;
		case 's': source = optarg; break;
		case 'n': n = num_arg("n", optarg, 1, MAX_SOCKETS); break;
		case 'i': interval_ms = num_arg("interval", optarg, 1, 60000); break;
		case 'b': bytes = num_arg("bytes", optarg, 1, 65536); break;
		case 'd': duration = num_arg("duration", optarg, 1, MAX_SECONDS); break;
		case 'r': req = optarg; break;
		case 'R': reconnect = 1; break;
		default: return EX_USAGE;
		}
	}
	if (!connect_to || parse_addr(connect_to, 1, &dst, &dlen) < 0) {
		fprintf(stderr, "usage: slow-client --connect ADDR:PORT [--source ADDR] [-n N] "
			"[--interval MS] [--bytes K] [--duration S] [--request TEXT]\n");
		return EX_USAGE;
	}
	if (source && parse_addr(source, 0, &src, &slen) < 0) {
		fprintf(stderr, "slow-client: --source '%s': not an address\n", source);
		return EX_USAGE;
	}
	reqlen = strlen(req);
	raise_nofile();
	{
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
	}
	v = calloc((size_t)n, sizeof(*v));
	pf = calloc((size_t)n, sizeof(*pf));
	if (!v || !pf)
		return EX_OSERR;

	start = now_s();
	end = start + (double)duration;
	for (i = 0; i < n; i++)
		if (open_sock(&v[i], &dst, dlen, source ? &src : NULL, slen, &nopen, &pending) < 0)
			refused++;
	next_send = now_s();
	while (!stopping && now_s() < end && (nopen > 0 || pending > 0 || reconnect)) {
		double t = now_s();
		int timeout, k;

		if (!pending && !announced) {
			printf("holding %d\n", nopen);
			fflush(stdout);
			announced = 1;
		}
		if (t >= next_send) {
			/* the next few bytes to every open socket */
			for (i = 0; i < n; i++) {
				char chunk[65536];
				size_t j;
				ssize_t w;

				if (v[i].state != 1)
					continue;
				for (j = 0; j < (size_t)bytes; j++) {
					size_t at = v[i].sent + j;
					chunk[j] = at < reqlen ? req[at] : '[';
				}
				w = send(v[i].fd, chunk, (size_t)bytes, MSG_NOSIGNAL);
				if (w > 0)
					v[i].sent += (size_t)w;
				else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
					peer_closed(&v[i], t, &longest, &nopen);
					closed++;
				}
			}
			if (reconnect)
				reconnects += reopen_closed(v, n, &dst, dlen, source ? &src : NULL, slen,
							    &nopen, &pending);
			next_send = t + (double)interval_ms / 1000.0;
		}
		for (i = 0; i < n; i++) {
			pf[i].fd = v[i].fd;
			pf[i].events = v[i].state == 0 ? POLLOUT : POLLIN;
			pf[i].revents = 0;
		}
		t = now_s();
		timeout = (int)((next_send < end ? next_send - t : end - t) * 1000.0);
		if (timeout < 0)
			timeout = 0;
		k = poll(pf, (nfds_t)n, timeout);
		if (k < 0 && errno != EINTR)
			return EX_OSERR;
		t = now_s();
		for (i = 0; k > 0 && i < n; i++) {
			if (!pf[i].revents || v[i].fd < 0)
				continue;
			if (v[i].state == 0) {
				int err = 0;
				socklen_t el = sizeof(err);
				getsockopt(v[i].fd, SOL_SOCKET, SO_ERROR, &err, &el);
				pending--;
				if (err) {
					close(v[i].fd);
					v[i].fd = -1;
					v[i].state = 3;
					refused++;
				} else {
					v[i].state = 1;
					v[i].opened = t;
					nopen++;
				}
				continue;
			}
			{
				char buf[4096];
				ssize_t r = recv(v[i].fd, buf, sizeof(buf), 0);
				/* an answer (a refusal) is read and ignored; EOF or an
				 * error means the server closed the connection */
				if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
					peer_closed(&v[i], t, &longest, &nopen);
					closed++;
				}
			}
		}
	}
	if (!announced) {
		printf("holding %d\n", nopen);
		fflush(stdout);
	}
	printf("connected=%ld refused=%d closed_by_peer=%d open_at_end=%d longest_open_ms=%.0f",
	       n - refused - pending, refused, closed, nopen, longest * 1000.0);
	if (reconnect)
		printf(" reconnects=%ld", reconnects);
	putchar('\n');
	for (i = 0; i < n; i++)
		if (v[i].fd >= 0)
			close(v[i].fd);
	free(v);
	free(pf);
	return 0;
}
