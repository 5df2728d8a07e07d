/*
 * dr-sink: a minimal HTTP receiver for orange-sim's delivery receipts in
 * tests.  Appends one line per POST to --out ("<status> <body>"), written
 * and flushed before answering, and prints "ready PORT" once listening.
 *
 *   dr-sink --listen 127.0.0.1:0 --out FILE [--fail-first N] [--status CODE]
 *           [--tls-cert PEM --tls-key PEM]
 *
 * --fail-first N answers 503 to the first N requests, --status answers
 * every later request with CODE (default 200).
 */
#include "core/log.h"
#include "core/strbuf.h"
#include "core/util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static FILE *out;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long fail_first, seen;
static int status_ok = 200;

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct strbuf *body = *con_cls;
	struct MHD_Response *r;
	enum MHD_Result ret;
	unsigned status;
	size_t i;

	if (!body) {
		body = xmalloc(sizeof(*body));
		strbuf_init(body, 0);
		*con_cls = body;
		return MHD_YES;
	}
	if (*upload_size) {
		if (body->len < (1 << 20))
			strbuf_add(body, upload_data, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	for (i = 0; i < body->len; i++)   /* one line per request */
		if (body->buf[i] == '\n' || body->buf[i] == '\r')
			body->buf[i] = ' ';
	pthread_mutex_lock(&lock);
	status = strcmp(method, "POST") ? 405 : seen < fail_first ? 503 : (unsigned)status_ok;
	seen++;
	fprintf(out, "%u %s\n", status, body->buf);
	fflush(out);
	pthread_mutex_unlock(&lock);
	r = MHD_create_response_from_buffer(2, (void *)"OK", MHD_RESPMEM_PERSISTENT);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct strbuf *body = *con_cls;

	if (body) {
		strbuf_release(body);
		free(body);
		*con_cls = NULL;
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "out", required_argument, NULL, 'o' },
		{ "fail-first", required_argument, NULL, 'f' },
		{ "status", required_argument, NULL, 's' },
		{ "tls-cert", required_argument, NULL, 'c' },
		{ "tls-key", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *listen = "127.0.0.1:0", *path = NULL, *colon;
	const char *cert_path = NULL, *key_path = NULL;
	struct strbuf cert = STRBUF_INIT, key = STRBUF_INIT;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	struct sockaddr_in sa;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *di;
	char host[64];
	sigset_t sigs;
	long port = 0, v;
	int c, sig;

	log_set_ident("dr-sink");
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'l': listen = optarg; break;
		case 'o': path = optarg; break;
		case 'f':
			if (parse_long(optarg, 0, 1000000000L, &fail_first) < 0)
				die(EX_USAGE, "--fail-first: not a count: %s", optarg);
			break;
		case 's':
			if (parse_long(optarg, 100, 599, &v) < 0)
				die(EX_USAGE, "--status: not an HTTP status: %s", optarg);
			status_ok = (int)v;
			break;
		case 'c': cert_path = optarg; break;
		case 'k': key_path = optarg; break;
		case 'h':
			puts("usage: dr-sink [--listen HOST:PORT] --out FILE [--fail-first N] [--status CODE]\n"
			     "               [--tls-cert PEM --tls-key PEM]");
			return 0;
		default:
			return EX_USAGE;
		}
	}
	if (!path)
		die(EX_USAGE, "--out FILE is required");
	colon = strrchr(listen, ':');
	if (!colon || (size_t)(colon - listen) >= sizeof(host) ||
	    parse_long(colon + 1, 0, 65535, &port) < 0)
		die(EX_USAGE, "--listen: expected HOST:PORT");
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		die(EX_USAGE, "--listen: not an IPv4 address: %s", host);
	if (!cert_path != !key_path)
		die(EX_USAGE, "--tls-cert and --tls-key go together");
	if (cert_path) {
		if (strbuf_read_file(&cert, cert_path, 1 << 20) < 0)
			die(EX_NOINPUT, "%s: %s", cert_path, strerror(errno));
		if (strbuf_read_file(&key, key_path, 1 << 20) < 0)
			die(EX_NOINPUT, "%s: %s", key_path, strerror(errno));
		flags |= MHD_USE_TLS;
	}
	out = fopen(path, "a");
	if (!out)
		die(EX_CANTCREAT, "%s: %s", path, strerror(errno));

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	if (cert_path)
		d = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_request, NULL,
				     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				     MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
				     MHD_OPTION_HTTPS_MEM_CERT, cert.buf,
				     MHD_OPTION_HTTPS_MEM_KEY, key.buf,
				     MHD_OPTION_END);
	else
		d = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_request, NULL,
				     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
				     MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
				     MHD_OPTION_END);
	if (!d)
		die(EX_UNAVAILABLE, "cannot listen on %s", listen);
	di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	printf("ready %u\n", di ? di->port : (unsigned)port);
	fflush(stdout);
	while (sigwait(&sigs, &sig) != 0)
		;
	MHD_stop_daemon(d);
	fclose(out);
	strbuf_release(&cert);
	secure_zero(key.buf, key.len);
	strbuf_release(&key);
	return 0;
}
