/*
 * Excel workbooks (.xlsx), first sheet, read streamed: libzip opens the
 * package and inflates one part at a time, expat parses it as it comes,
 * and each sheet row is handed to the importer like a CSV row (its line
 * is the sheet's row number, its raw text the cells joined by ';').
 *
 * Only the shared-string table is held in memory (the sheet refers to
 * it by index), bounded by XLSX_MAX_SHARED.  Cells: shared strings (t="s",
 * rich text concatenated, phonetic runs skipped), inline strings
 * (t="inlineStr"), formula results (t="str"), booleans, errors, and
 * numbers, which are written out in full: 2.2370123456E10 is stored
 * exactly, so it becomes 22370123456 (unlike a CSV's rounded display).
 * Dates stay the serial numbers Excel stores.
 */
#include "importer/xlsx.h"
#include "importer/csvin.h"
#include "core/csv.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "core/util.h"

#include <errno.h>
#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

#define XLSX_MAX_SHARED (256 << 20)     /* bytes of shared strings */
#define XLSX_MAX_COLS 16384             /* Excel's own limit (XFD) */
#define XLSX_MAX_PART (16 << 20)        /* workbook.xml and its .rels */
#define XLSX_CHUNK (64 * 1024)
#define NS_SEP '|'
#define REL_NS "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

/* A local name: "uri|row" -> "row". */
static const char *local(const char *name)
{
	const char *p = strrchr(name, NS_SEP);
	return p ? p + 1 : name;
}

static const char *attr(const char **atts, const char *name)
{
	for (; atts && *atts; atts += 2)
		if (!strcmp(atts[0], name))
			return atts[1];
	return NULL;
}

/* ---- parse one part of the package with expat ---- */

struct part_parse {
	struct csvin *in;
	const char *part;
	XML_Parser xp;
	bool stopped;           /* by a handler: an error or the importer's -1 */
	int ret;
};

/* Stream the part through xp; bytes counts into in->bytes_read when
 * counted.  0, or -1 after error() naming the file and part. */
static int parse_part(struct part_parse *pp, zip_t *z, bool counted, long long max)
{
	struct csvin *in = pp->in;
	zip_file_t *f;
	char *buf = xmalloc(XLSX_CHUNK);
	long long total = 0;
	zip_int64_t n;
	int ret = -1;

	f = zip_fopen(z, pp->part, 0);
	if (!f) {
		error("%s: not a readable Excel workbook: no part %s", in->name, pp->part);
		goto out;
	}
	do {
		n = zip_fread(f, buf, XLSX_CHUNK);
		if (n < 0) {
			error("%s: %s: %s", in->name, pp->part, zip_error_strerror(zip_file_get_error(f)));
			goto out;
		}
		total += n;
		if (counted)
			in->bytes_read += n;
		if (max && total > max) {
			error("%s: %s is larger than %lld bytes", in->name, pp->part, max);
			goto out;
		}
		if (XML_Parse(pp->xp, buf, (int)n, n == 0) == XML_STATUS_ERROR) {
			if (pp->stopped) {
				ret = pp->ret;
				goto out;
			}
			error("%s: %s, line %lu: %s", in->name, pp->part,
			      (unsigned long)XML_GetCurrentLineNumber(pp->xp),
			      XML_ErrorString(XML_GetErrorCode(pp->xp)));
			goto out;
		}
	} while (n > 0);
	ret = pp->stopped ? pp->ret : 0;
out:
	if (f)
		zip_fclose(f);
	free(buf);
	return ret;
}

/* Parse one part with a fresh expat parser calling these handlers on ud. */
static int parse_with(struct part_parse *pp, zip_t *z, const char *part, void *ud,
		      XML_StartElementHandler start, XML_EndElementHandler end,
		      XML_CharacterDataHandler text, bool counted, long long max)
{
	int ret;

	pp->part = part;
	pp->xp = XML_ParserCreateNS(NULL, NS_SEP);
	if (!pp->xp)
		die_oom();
	XML_SetUserData(pp->xp, ud);
	XML_SetElementHandler(pp->xp, start, end);
	XML_SetCharacterDataHandler(pp->xp, text);
	ret = parse_part(pp, z, counted, max);
	XML_ParserFree(pp->xp);
	pp->xp = NULL;
	return ret;
}

static void stop(struct part_parse *pp, int ret)
{
	if (!pp->stopped) {
		pp->stopped = true;
		pp->ret = ret;
		XML_StopParser(pp->xp, XML_FALSE);
	}
}

/* ---- workbook.xml and its relationships: where the first sheet is ---- */

struct book {
	struct part_parse pp;
	char *sheet_rid;        /* r:id of the first <sheet> */
	char *sheet_part, *shared_part;
};

static void book_start(void *data, const char *name, const char **atts)
{
	struct book *b = data;
	const char *ln = local(name);

	if (!strcmp(ln, "sheet") && !b->sheet_rid) {
		for (; atts && *atts; atts += 2)
			if (!strcmp(atts[0], REL_NS "|id"))
				b->sheet_rid = xstrdup(atts[1]);
	}
}

/* A relationship's target, relative to xl/ unless absolute. */
static char *target_path(const char *t)
{
	struct strbuf sb = STRBUF_INIT;

	if (t[0] == '/')
		strbuf_addstr(&sb, t + 1);
	else
		strbuf_addf(&sb, "xl/%s", t);
	return strbuf_detach(&sb, NULL);
}

static void rels_start(void *data, const char *name, const char **atts)
{
	struct book *b = data;
	const char *id = attr(atts, "Id"), *type = attr(atts, "Type"), *t = attr(atts, "Target");
	size_t tl;

	if (strcmp(local(name), "Relationship") || !t)
		return;
	if (id && b->sheet_rid && !strcmp(id, b->sheet_rid) && !b->sheet_part)
		b->sheet_part = target_path(t);
	tl = type ? strlen(type) : 0;
	if (tl > 14 && !strcmp(type + tl - 14, "/sharedStrings") && !b->shared_part)
		b->shared_part = target_path(t);
}

static int read_book(struct csvin *in, zip_t *z, struct book *b)
{
	b->pp.in = in;
	if (parse_with(&b->pp, z, "xl/workbook.xml", b, book_start, NULL, NULL, false,
		       XLSX_MAX_PART) < 0)
		return -1;
	if (!b->sheet_rid)
		return error("%s: the workbook has no sheet", in->name);
	if (parse_with(&b->pp, z, "xl/_rels/workbook.xml.rels", b, rels_start, NULL, NULL,
		       false, XLSX_MAX_PART) < 0)
		return -1;
	if (!b->sheet_part)
		return error("%s: the first sheet (%s) is not in the workbook's relationships",
			     in->name, b->sheet_rid);
	return 0;
}

/* ---- shared strings ---- */

struct shared {
	struct part_parse pp;
	struct strbuf text;     /* every string, NUL-terminated */
	size_t *off, n, alloc;
	int in_t, in_rph;       /* inside <t>, inside <rPh> (phonetic, skipped) */
};

static void sst_start(void *data, const char *name, const char **atts)
{
	struct shared *s = data;
	const char *ln = local(name);

	(void)atts;
	if (!strcmp(ln, "si")) {
		if (s->n == s->alloc) {
			s->alloc = s->alloc ? 2 * s->alloc : 256;
			s->off = xrealloc(s->off, s->alloc * sizeof(*s->off));
		}
		s->off[s->n++] = s->text.len;
	} else if (!strcmp(ln, "rPh")) {
		s->in_rph++;
	} else if (!strcmp(ln, "t")) {
		s->in_t++;
	}
}

static void sst_end(void *data, const char *name)
{
	struct shared *s = data;
	const char *ln = local(name);

	if (!strcmp(ln, "si"))
		strbuf_addch(&s->text, '\0');
	else if (!strcmp(ln, "rPh"))
		s->in_rph--;
	else if (!strcmp(ln, "t"))
		s->in_t--;
}

static void sst_text(void *data, const char *t, int len)
{
	struct shared *s = data;

	if (s->in_t && !s->in_rph && s->n)
		strbuf_add(&s->text, t, (size_t)len);
}

static int read_shared(struct csvin *in, zip_t *z, const char *part, struct shared *s)
{
	s->pp.in = in;
	return parse_with(&s->pp, z, part, s, sst_start, sst_end, sst_text, false,
			  XLSX_MAX_SHARED);
}

/* ---- the sheet ---- */

struct sheet {
	struct part_parse pp;
	const struct shared *sst;
	csvin_row_fn fn;
	void *fn_data;
	long long row_no;       /* the current row's number */
	size_t col;             /* the current cell's column (0-based) */
	char type[16];          /* the current cell's t="" */
	struct strbuf val;      /* its <v> or inline text */
	int in_v, in_is_t, in_rph;
	/* the row: cell texts, NUL-terminated, at off[] (empty where absent) */
	struct strbuf cells, raw;
	size_t *off, *len, ncells, alloc;
	const char **ptr;
	size_t pcap;
};

/* "AB12" -> column 27 (0-based), or (size_t)-1. */
static size_t ref_col(const char *r)
{
	size_t c = 0;
	bool any = false;

	for (; *r >= 'A' && *r <= 'Z'; r++) {
		c = c * 26 + (size_t)(*r - 'A' + 1);
		any = true;
		if (c > XLSX_MAX_COLS)
			return (size_t)-1;
	}
	return any ? c - 1 : (size_t)-1;
}

/*
 * A number as Excel stores it ("22370123456", "2.2370123456E10", "1E3")
 * written out in full when it is an integer; other values unchanged.
 */
static void number_text(struct strbuf *out, const char *v)
{
	char digits[64];
	size_t nd = 0, intd = 0, i;
	const char *p = v;
	bool neg = false, point = false;
	long e = 0, pos;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	for (; *p; p++) {
		if (*p >= '0' && *p <= '9') {
			if (nd == sizeof(digits) - 1)
				goto asis;
			digits[nd++] = *p;
			if (!point)
				intd++;
		} else if (*p == '.' && !point) {
			point = true;
		} else {
			break;
		}
	}
	if (!nd)
		goto asis;
	if (*p == 'E' || *p == 'e') {
		char *end;
		errno = 0;
		e = strtol(p + 1, &end, 10);
		if (errno || *end || end == p + 1 || e > 40 || e < -40)
			goto asis;
	} else if (*p) {
		goto asis;
	}
	pos = (long)intd + e;   /* digits before the decimal point */
	if (pos < 0 || pos > 40)
		goto asis;
	for (i = (size_t)pos; i < nd; i++)
		if (digits[i] != '0')
			goto asis;      /* a fraction: not an integer */
	if (neg)
		strbuf_addch(out, '-');
	{
		size_t start = 0, total = (size_t)pos;
		while (start < total && start < nd && digits[start] == '0')
			start++;
		if (start == total) {
			strbuf_addch(out, '0');
			return;
		}
		for (i = start; i < total; i++)
			strbuf_addch(out, i < nd ? digits[i] : '0');
	}
	return;
asis:
	strbuf_addstr(out, v);
}

static void row_reset(struct sheet *sh)
{
	strbuf_reset(&sh->cells);
	sh->ncells = 0;
	sh->col = 0;
}

/* Add cell text at column col, padding skipped columns with "". */
static void put_cell(struct sheet *sh, size_t col, const char *s, size_t len)
{
	while (sh->ncells <= col) {
		if (sh->ncells == sh->alloc) {
			sh->alloc = sh->alloc ? 2 * sh->alloc : 16;
			sh->off = xrealloc(sh->off, sh->alloc * sizeof(*sh->off));
			sh->len = xrealloc(sh->len, sh->alloc * sizeof(*sh->len));
		}
		sh->off[sh->ncells] = sh->cells.len;
		sh->len[sh->ncells] = 0;
		strbuf_addch(&sh->cells, '\0');
		sh->ncells++;
	}
	/* Cells come in column order: the last one is this one. */
	strbuf_setlen(&sh->cells, sh->off[col]);
	strbuf_add(&sh->cells, s, len);
	strbuf_addch(&sh->cells, '\0');
	sh->len[col] = len;
}

static void sheet_start(void *data, const char *name, const char **atts)
{
	struct sheet *sh = data;
	const char *ln = local(name), *a;

	if (!strcmp(ln, "row")) {
		long long r;
		row_reset(sh);
		a = attr(atts, "r");
		r = a ? atoll(a) : 0;
		sh->row_no = r > sh->row_no ? r : sh->row_no + 1;
	} else if (!strcmp(ln, "c")) {
		size_t c;
		a = attr(atts, "r");
		c = a ? ref_col(a) : (size_t)-1;
		if (c == (size_t)-1)
			c = sh->ncells;
		if (c < sh->ncells || c >= XLSX_MAX_COLS) {
			error("%s: sheet row %lld: cell %s out of order or beyond column XFD",
			      sh->pp.in->name, sh->row_no, a ? a : "?");
			stop(&sh->pp, -1);
			return;
		}
		sh->col = c;
		a = attr(atts, "t");
		snprintf(sh->type, sizeof(sh->type), "%s", a ? a : "n");
		strbuf_reset(&sh->val);
	} else if (!strcmp(ln, "v")) {
		sh->in_v++;
	} else if (!strcmp(ln, "rPh")) {
		sh->in_rph++;
	} else if (!strcmp(ln, "t")) {
		sh->in_is_t++;
	}
}

static void end_cell(struct sheet *sh)
{
	struct strbuf out = STRBUF_INIT;
	const char *v = sh->val.buf, *t = sh->type;

	if (!strcmp(t, "s")) {
		char *end;
		unsigned long i = strtoul(v, &end, 10);
		if (*v && !*end && i < sh->sst->n)
			strbuf_addstr(&out, sh->sst->text.buf + sh->sst->off[i]);
	} else if (!strcmp(t, "b")) {
		strbuf_addstr(&out, !strcmp(v, "1") ? "TRUE" : "FALSE");
	} else if (!strcmp(t, "n") && sh->val.len) {
		number_text(&out, v);
	} else {
		strbuf_add(&out, sh->val.buf, sh->val.len); /* inlineStr, str, e */
	}
	if (sh->cells.len + out.len > CSVIN_MAX_ROW) {
		error("%s: sheet row %lld is longer than %d bytes", sh->pp.in->name, sh->row_no,
		      CSVIN_MAX_ROW);
		stop(&sh->pp, -1);
	} else {
		put_cell(sh, sh->col, out.buf, out.len);
	}
	strbuf_release(&out);
}

static void end_row(struct sheet *sh)
{
	struct csvin *in = sh->pp.in;
	struct csvin_row row;
	size_t i, n = sh->ncells;

	while (n && !sh->len[n - 1])
		n--;
	if (!n)
		return;         /* an empty row: nothing to import, like ";;;" */
	if (sh->pcap < n) {
		sh->pcap = n;
		sh->ptr = xrealloc(sh->ptr, n * sizeof(*sh->ptr));
	}
	strbuf_reset(&sh->raw);
	for (i = 0; i < n; i++) {
		sh->ptr[i] = sh->cells.buf + sh->off[i];
		if (i)
			strbuf_addch(&sh->raw, in->delim);
		csv_quote(&sh->raw, sh->ptr[i], sh->len[i], in->delim);
	}
	memset(&row, 0, sizeof(row));
	row.line = sh->row_no;
	row.nfields = n;
	row.fields = sh->ptr;
	row.lens = sh->len;
	row.raw = sh->raw.buf;
	row.raw_len = sh->raw.len;
	in->line = sh->row_no;
	in->started = true;
	if (sh->fn(&row, sh->fn_data) < 0)
		stop(&sh->pp, -1);
}

static void sheet_end(void *data, const char *name)
{
	struct sheet *sh = data;
	const char *ln = local(name);

	if (!strcmp(ln, "c"))
		end_cell(sh);
	else if (!strcmp(ln, "row"))
		end_row(sh);
	else if (!strcmp(ln, "v"))
		sh->in_v--;
	else if (!strcmp(ln, "rPh"))
		sh->in_rph--;
	else if (!strcmp(ln, "t"))
		sh->in_is_t--;
}

static void sheet_text(void *data, const char *t, int len)
{
	struct sheet *sh = data;

	if (sh->in_v || (sh->in_is_t && !sh->in_rph)) {
		if (sh->val.len + (size_t)len > CSVIN_MAX_ROW) {
			error("%s: sheet row %lld: a cell longer than %d bytes", sh->pp.in->name,
			      sh->row_no, CSVIN_MAX_ROW);
			stop(&sh->pp, -1);
			return;
		}
		strbuf_add(&sh->val, t, (size_t)len);
	}
}

bool xlsx_magic(const char *b, size_t n)
{
	return n >= 4 && !memcmp(b, "PK\x03\x04", 4);
}

int xlsx_run(struct csvin *in, csvin_row_fn fn, void *data)
{
	struct book b;
	struct shared s;
	struct sheet sh;
	zip_t *z = NULL;
	zip_stat_t st;
	int fd, zerr = 0, ret = -1;

	memset(&b, 0, sizeof(b));
	memset(&s, 0, sizeof(s));
	memset(&sh, 0, sizeof(sh));
	strbuf_init(&s.text, 0);
	strbuf_init(&sh.val, 0);
	strbuf_init(&sh.cells, 0);
	strbuf_init(&sh.raw, 0);
	in->error_kind = GRIOT_ERR_DATA;
	if (!in->delim)
		in->delim = ';';

	fd = dup(in->fd);
	if (fd < 0 || lseek(fd, 0, SEEK_SET) < 0) {
		in->error_kind = GRIOT_ERR_IO;
		error("%s: %s", in->name, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	z = zip_fdopen(fd, ZIP_RDONLY, &zerr);
	if (!z) {
		zip_error_t ze;
		close(fd);
		zip_error_init_with_code(&ze, zerr);
		error("%s: not a readable Excel workbook (%s)", in->name, zip_error_strerror(&ze));
		zip_error_fini(&ze);
		goto out;
	}
	if (read_book(in, z, &b) < 0)
		goto out;
	if (b.shared_part && read_shared(in, z, b.shared_part, &s) < 0)
		goto out;
	if (zip_stat(z, b.sheet_part, 0, &st) == 0 && (st.valid & ZIP_STAT_SIZE))
		in->size = (off_t)st.size;      /* progress against the sheet's XML */
	in->bytes_read = 0;
	sh.sst = &s;
	sh.fn = fn;
	sh.fn_data = data;
	sh.pp.in = in;
	ret = parse_with(&sh.pp, z, b.sheet_part, &sh, sheet_start, sheet_end, sheet_text,
			 true, 0);
	if (ret == 0 && !in->started) {
		error("%s: the first sheet is empty: a header row is required", in->name);
		ret = -1;
	}
out:
	if (z)
		zip_discard(z);
	free(b.sheet_rid);
	free(b.sheet_part);
	free(b.shared_part);
	strbuf_release(&s.text);
	free(s.off);
	strbuf_release(&sh.val);
	strbuf_release(&sh.cells);
	strbuf_release(&sh.raw);
	free(sh.off);
	free(sh.len);
	free(sh.ptr);
	return ret;
}
