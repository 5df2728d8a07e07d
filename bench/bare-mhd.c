/*
 * The ceiling for bench/receive.sh: a libmicrohttpd server set up like
 * griot receive (epoll, internal thread, same limits) that reads the body
 * and answers 200, storing nothing.
 *   bare-mhd [--listen 127.0.0.1:0] [--threads N]
 * Prints "ready ADDR:PORT"; exits on SIGTERM/SIGINT.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static struct MHD_Response *ok;

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *data, size_t *size, void **ctx)
{
	static int marker;

	if (!*ctx) {
		*ctx = &marker;
		return MHD_YES;
	}
	if (*size) {
		*size = 0;
		return MHD_YES;
	}
	return MHD_queue_response(c, MHD_HTTP_OK, ok);
}

int main(int argc, char **argv)
{
	const char *listen_at = "127.0.0.1:0";
	unsigned threads = 1;
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *di;
	struct MHD_Daemon *d;
	sigset_t sigs;
	char host[64];
	const char *colon;
	int i, sig;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--listen") && i + 1 < argc)
			listen_at = argv[++i];
		else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
			threads = (unsigned)atoi(argv[++i]);
		else {
			fprintf(stderr, "usage: bare-mhd [--listen ADDR:PORT] [--threads N]\n");
			return 64;
		}
	}
	colon = strrchr(listen_at, ':');
	if (!colon || (size_t)(colon - listen_at) >= sizeof(host)) {
		fprintf(stderr, "bare-mhd: bad --listen\n");
		return 64;
	}
	memcpy(host, listen_at, (size_t)(colon - listen_at));
	host[colon - listen_at] = '\0';
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
		fprintf(stderr, "bare-mhd: bad address\n");
		return 64;
	}
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	ok = MHD_create_response_from_buffer(3, (void *)"OK\n", MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(ok, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
			     MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, NULL,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
			     MHD_OPTION_LISTENING_ADDRESS_REUSE, 1,
			     MHD_OPTION_CONNECTION_TIMEOUT, 10u,
			     MHD_OPTION_CONNECTION_LIMIT, 1000u,
			     /* last: a pool only when asked for */
			     threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, threads,
			     MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "bare-mhd: cannot start\n");
		return 69;
	}
	di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	printf("ready %s:%u\n", host, di ? di->port : 0);
	fflush(stdout);
	sigdelset(&sigs, SIGPIPE);
	while (sigwait(&sigs, &sig))
		;
	MHD_stop_daemon(d);
	MHD_destroy_response(ok);
	return 0;
}
