#ifndef CONSOLE_CONSOLE_H
#define CONSOLE_CONSOLE_H
/*
 * The web console for marketing ops (`griot console`, docs/console.md):
 * a server-rendered application on libmicrohttpd, French and English,
 * that works without JavaScript.  Log in, create a campaign, upload its
 * recipient file (streamed into the importer), check counts, rejects,
 * units against the balance and the finish estimate, schedule, watch it
 * run, pause/resume/cancel, open the reports.  Access: auth.h.
 */
#include <stddef.h>

struct griot_config;

struct console_opts {
	const char *listen;          /* "ADDR:PORT" ("[V6]:PORT"); port 0 = any */
	const char *tls_cert;        /* PEM files: HTTPS when both are set */
	const char *tls_key;
	const char *conninfo;        /* the database */
	const char *data_dir;        /* rejects files of uploads */
	struct griot_config *cfg;    /* senders, Orange credentials */
	long long max_upload;        /* bytes; 0 = CONSOLE_MAX_UPLOAD */
	unsigned timeout;            /* idle connection timeout, s; 0 = 60 */
};

/* Largest recipient file accepted by default (bytes). */
#define CONSOLE_MAX_UPLOAD (512LL << 20)

struct console;

/* Check options, connect, bind, serve.  Blocks SIGTERM/SIGINT/SIGPIPE in
 * the calling thread for console_wait().  0 or -1 after error(). */
int console_start(const struct console_opts *opts, struct console **out);
/* "ADDR:PORT" actually listened on. */
const char *console_address(const struct console *cs);
/* Block until SIGTERM or SIGINT; returns the signal number. */
int console_wait(struct console *cs);
/* Stop serving (requests in flight finish) and free. */
void console_free(struct console *cs);

#endif
