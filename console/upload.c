/*
 * A recipient file uploaded in the console, streamed into the importer:
 * the multipart body's file part is written into a pipe as it arrives and
 * an import thread reads the other end with import_run() (its own
 * database connection, one transaction), so the file is never held in
 * memory nor on disk; the verdicts and rejects are those of `griot
 * import`.  Too large, not a CSV, a bad CSRF token, or the client gone:
 * the import is cancelled and rolls back, nothing is half-imported.
 *
 * A file of numbers for the suppression list (campaign id 0, admins) is
 * spooled to an unlinked file first (suppress_import() cannot be
 * cancelled midway) and added only once it has arrived whole.
 */
#include "console/internal.h"
#include "campaign/campaign.h"
#include "core/config.h"
#include "core/db.h"
#include "core/status.h"
#include "core/log.h"
#include "core/util.h"
#include "importer/import.h"
#include "importer/phone.h"
#include "importer/suppress.h"
#include "importer/xlsx.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Bytes the pipe to the importer holds (F_SETPIPE_SZ; the default
 * unprivileged maximum is 1 MiB). */
#define UPLOAD_PIPE_SIZE (1 << 20)

struct upload {
	struct console *cs;
	long long campaign_id;
	char campaign[256];
	char filename[256];
	char user[65];
	char country[4];                /* of numbers without a country code */
	char rejects[1024];
	int fds[2];                     /* the pipe: importer reads [0] */
	pthread_t th;
	bool started, finished;
	long long bytes;
	volatile sig_atomic_t cancel;
	char refusal[1024];             /* why the file was refused */
	/* the import thread's results */
	int rc;
	struct import_summary s;
	struct suppress_counts sc;      /* a suppression-list upload's */
	char error[600];
};

static void *import_main(void *arg)
{
	struct upload *up = arg;
	struct import_opts o;
	struct db *db = NULL;
	char path[64];

	log_capture(up->error, sizeof(up->error));
	memset(&o, 0, sizeof(o));
	snprintf(path, sizeof(path), "/dev/fd/%d", up->fds[0]);
	o.campaign = up->campaign;
	o.path = path;
	o.rejects_path = up->rejects;
	o.country = phone_country_find(up->country);
	o.cancel = &up->cancel;
	up->rc = -1;
	if (db_connect(up->cs->o.conninfo, &db) == 0)
		up->rc = import_run(db, &o, &up->s);
	if (up->rc == 0) {
		char id[32];
		const char *p[4] = { id, up->rejects, up->filename, up->user };
		snprintf(id, sizeof(id), "%lld", up->s.import_id);
		if (db_query(db, NULL, "INSERT INTO console_imports (import_id, rejects_path, filename,"
			     " username) VALUES ($1, $2, $3, $4)", 4, p) < 0)
			up->rc = -1;
	}
	db_close(db);
	log_capture(NULL, 0);
	/* drain what the server may still write, so it never blocks */
	{
		char buf[65536];
		while (read(up->fds[0], buf, sizeof(buf)) > 0)
			;
	}
	return NULL;
}

int upload_begin(struct creq *q, long long campaign_id)
{
	struct upload *up = xcalloc(1, sizeof(*up));

	up->cs = q->cs;
	up->campaign_id = campaign_id;
	up->fds[0] = up->fds[1] = -1;
	strlcpy_(up->user, q->user.name, sizeof(up->user));
	q->up = up;
	return 0;
}

/* Files the importer reads: CSV-like text, or an Excel workbook. */
enum upload_kind { UPLOAD_TEXT, UPLOAD_XLSX, UPLOAD_OTHER };

static bool has_ext(const char *name, const char *ext)
{
	size_t n = strlen(name), e = strlen(ext);

	return n > e && !strcasecmp(name + n - e, ext);
}

/* What the file is, by its name and its first bytes: a text file with a
 * CSV-like name (no NUL byte in UTF-8, nothing that starts like a zip,
 * PDF, image or old .xls), or a zip named .xlsx. */
static enum upload_kind upload_kind(const char *name, const char *data, size_t size)
{
	static const char *const text_ext[] = { ".csv", ".txt", ".tsv" };
	static const char *const magic[] = { "%PDF", "\x89PNG", "\xff\xd8\xff", "GIF8",
					     "\xd0\xcf\x11\xe0" /* .xls, .doc */ };
	bool utf16 = size >= 2 && ((unsigned char)data[0] == 0xff || (unsigned char)data[0] == 0xfe);
	bool text_name = false;
	size_t i;

	if (has_ext(name, ".xlsx"))
		return xlsx_magic(data, size) ? UPLOAD_XLSX : UPLOAD_OTHER;
	for (i = 0; i < ARRAY_SIZE(text_ext); i++)
		text_name |= has_ext(name, text_ext[i]);
	if (!text_name || xlsx_magic(data, size))
		return UPLOAD_OTHER;
	for (i = 0; i < ARRAY_SIZE(magic); i++)
		if (size >= strlen(magic[i]) && !memcmp(data, magic[i], strlen(magic[i])))
			return UPLOAD_OTHER;
	for (i = 0; !utf16 && i < size && i < 4096; i++)
		if (!data[i])
			return UPLOAD_OTHER;
	return UPLOAD_TEXT;
}

static int refuse(struct creq *q, const char *msg)
{
	struct upload *up = q->up;

	if (!*up->refusal)
		snprintf(up->refusal, sizeof(up->refusal), "%s", msg);
	up->cancel = 1;
	if (up->fds[1] >= 0) {
		close(up->fds[1]);
		up->fds[1] = -1;
	}
	return 0;
}

static int start(struct creq *q, const char *filename, const char *data, size_t size)
{
	struct upload *up = q->up;
	struct campaign c;
	int rc;

	if (!form_csrf_ok(q))
		return refuse(q, T("This form has expired; reload the page."));
	if (upload_kind(filename, data, size) == UPLOAD_OTHER)
		return refuse(q, T("This is neither a CSV file nor an Excel workbook (.xlsx): save the sheet as .xlsx or CSV and upload that."));
	if (!up->campaign_id) {
		up->fds[1] = open(q->cs->o.data_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		if (up->fds[1] < 0) {
			error("upload: cannot spool under %s: %s", q->cs->o.data_dir, strerror(errno));
			return refuse(q, T("The upload could not start."));
		}
		strlcpy_(up->filename, filename, sizeof(up->filename));
		strlcpy_(up->campaign, "suppression list", sizeof(up->campaign));
		up->started = up->finished = true;
		return 0;
	}
	pthread_mutex_lock(&q->cs->lock);
	rc = campaign_load_id(q->cs->db, up->campaign_id, &c);
	pthread_mutex_unlock(&q->cs->lock);
	if (rc != 0)
		return refuse(q, T("No such campaign."));
	rc = CAMPAIGN_STATUS(c.status) != CAMPAIGN_DRAFT;
	strlcpy_(up->campaign, c.name, sizeof(up->campaign));
	campaign_release(&c);
	if (rc)
		return refuse(q, T("Recipients can only be added to a draft campaign."));
	strlcpy_(up->filename, filename, sizeof(up->filename));
	{
		const char *cc = form_get(q, "country");
		if (!cc || !*cc)
			cc = config_get(q->cs->o.cfg, "default_country");
		if (cc && *cc && !phone_country_find(cc))
			return refuse(q, T("Unknown country code."));
		strlcpy_(up->country, cc ? cc : "", sizeof(up->country));
	}
	snprintf(up->rejects, sizeof(up->rejects), "%s/rejects-%lld-%.0f.csv", q->cs->o.data_dir,
		 up->campaign_id, time_now() * 1000);
	if (pipe2(up->fds, O_CLOEXEC) < 0) {
		error("upload: cannot make a pipe: %s", strerror(errno));
		return refuse(q, T("The upload could not start."));
	}
	/* a larger pipe: fewer switches between the server and the importer
	 * (best effort: the default 64 KiB works too) */
	fcntl(up->fds[1], F_SETPIPE_SZ, UPLOAD_PIPE_SIZE);
	if (pthread_create(&up->th, NULL, import_main, up)) {
		error("upload: cannot start the import: %s", strerror(errno));
		return refuse(q, T("The upload could not start."));
	}
	up->started = true;
	return 0;
}

int upload_chunk(struct creq *q, const char *key, const char *filename, const char *data,
		 size_t size)
{
	struct upload *up = q->up;
	size_t off = 0;

	if (*up->refusal || strcmp(key, "file"))
		return 0;
	if (!up->started && start(q, filename, data, size) < 0)
		return -1;
	if (*up->refusal)
		return 0;
	up->bytes += (long long)size;
	if (up->bytes > q->cs->o.max_upload) {
		struct strbuf sb = STRBUF_INIT;
		strbuf_addstr(&sb, T("The file is too large: the console accepts files up to"));
		strbuf_addch(&sb, ' ');
		lang_int(&sb, q->lang, q->cs->o.max_upload >> 20);
		strbuf_addstr(&sb, " MiB. ");
		strbuf_addstr(&sb, T("Nothing was imported."));
		refuse(q, sb.buf);
		strbuf_release(&sb);
		return 0;
	}
	while (off < size) {
		ssize_t n = write(up->fds[1], data + off, size - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)              /* the importer stopped reading: it failed */
			return refuse(q, "");
		off += (size_t)n;
	}
	return 0;
}

/* The end of a suppression-list upload: add the spooled file's numbers
 * in one transaction, then show the counts. */
static page_result suppressions_finish(struct creq *q)
{
	struct upload *up = q->up;
	struct strbuf sb = STRBUF_INIT;
	char path[64], loc[160];
	const char *cc = form_get(q, "country");
	enum griot_err kind = GRIOT_OK;
	int rc = -1;
	page_result ret;

	if (!up->started && !*up->refusal)
		refuse(q, T("Choose a file to upload."));
	pthread_mutex_lock(&q->cs->lock);
	if (!*up->refusal) {
		snprintf(path, sizeof(path), "/dev/fd/%d", up->fds[1]);
		memset(&up->sc, 0, sizeof(up->sc));
		log_capture(up->error, sizeof(up->error));
		if (lseek(up->fds[1], 0, SEEK_SET) == 0)
			rc = suppress_import(q->cs->db, path, NULL,
					     phone_country_find(cc && *cc ? cc :
								config_get(q->cs->o.cfg, "default_country")),
					     "console upload", &up->sc, &kind);
		log_capture(NULL, 0);
		if (rc < 0) {
			snprintf(up->refusal, sizeof(up->refusal), "%s %s", T("The file was not imported:"),
				 *up->error ? up->error : "?");
		}
	}
	if (*up->refusal) {
		console_audit(q->cs->db, q->user.name, q->addr, "suppress-upload-refused", up->filename,
			      up->refusal);
		ret = respond_error(q, MHD_HTTP_UNPROCESSABLE_CONTENT, up->refusal);
		goto out;
	}
	strbuf_addf(&sb, "%s: %lld read, %lld added, %lld already listed, %lld rejected", up->filename,
		    up->sc.read, up->sc.added, up->sc.already, up->sc.rejected);
	console_audit(q->cs->db, q->user.name, q->addr, "suppress-upload", up->filename, sb.buf);
	snprintf(loc, sizeof(loc), "/suppressions?read=%lld&added=%lld&already=%lld&rejected=%lld",
		 up->sc.read, up->sc.added, up->sc.already, up->sc.rejected);
	ret = redirect(q, loc);
out:
	pthread_mutex_unlock(&q->cs->lock);
	strbuf_release(&sb);
	return ret;
}

page_result upload_finish(struct creq *q)
{
	struct upload *up = q->up;
	struct strbuf sb = STRBUF_INIT;
	char loc[64];

	if (!up->campaign_id)
		return suppressions_finish(q);
	if (up->fds[1] >= 0) {
		close(up->fds[1]);
		up->fds[1] = -1;
	}
	if (!up->started && !*up->refusal)
		refuse(q, T("Choose a file to upload."));
	if (up->started) {
		pthread_join(up->th, NULL);
		up->finished = true;
		malloc_trim(0);         /* the import thread's arena back to the system */
	}
	pthread_mutex_lock(&q->cs->lock);
	if (*up->refusal || up->rc < 0) {
		if (*up->refusal)
			strbuf_addstr(&sb, up->refusal);
		else {
			strbuf_addstr(&sb, T("The file was not imported:"));
			strbuf_addch(&sb, ' ');
			strbuf_addstr(&sb, *up->error ? up->error : "?");
		}
		if (up->started)
			unlink(up->rejects);
		console_audit(q->cs->db, q->user.name, q->addr, "upload-refused", up->campaign,
			      sb.buf);
		{
			page_result r = respond_error(q, MHD_HTTP_UNPROCESSABLE_CONTENT, sb.buf);
			pthread_mutex_unlock(&q->cs->lock);
			strbuf_release(&sb);
			return r;
		}
	}
	strbuf_addf(&sb, "%s: %lld read, %lld imported, %lld duplicates, %lld suppressed, %lld rejected",
		    up->filename, up->s.read, up->s.imported, up->s.duplicates, up->s.suppressed,
		    up->s.rejected);
	console_audit(q->cs->db, q->user.name, q->addr, "upload", up->campaign, sb.buf);
	pthread_mutex_unlock(&q->cs->lock);
	strbuf_release(&sb);
	snprintf(loc, sizeof(loc), "/campaigns/%lld#check", up->campaign_id);
	return redirect(q, loc);
}

void upload_free(struct upload *up)
{
	/* the client went away mid-file: cancel before the importer sees EOF */
	if (up->started && !up->finished)
		up->cancel = 1;
	if (up->fds[1] >= 0)
		close(up->fds[1]);
	if (up->started && !up->finished)
		pthread_join(up->th, NULL);
	if (up->fds[0] >= 0)
		close(up->fds[0]);
	import_summary_release(&up->s);
	free(up);
}
