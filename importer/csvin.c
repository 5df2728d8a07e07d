/*
 * Streaming CSV reader: bytes -> UTF-8 text -> lines -> libcsv -> rows.
 * Lines are fed to libcsv one at a time so that every row knows the line
 * it starts on and its raw text (for the rejects file).
 */
#include "importer/csvin.h"
#include "importer/xlsx.h"
#include "core/utf8.h"
#include "core/log.h"
#include "core/util.h"

#include <csv.h>
#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK (256 * 1024)
#define UTF8_STRAYS 4   /* valid sequences needed per invalid byte to stay UTF-8 */

const char *csvin_encoding_name(enum csvin_encoding enc)
{
	switch (enc) {
	case CSVIN_UTF8: return "UTF-8";
	case CSVIN_UTF8_BOM: return "UTF-8 (BOM)";
	case CSVIN_UTF16LE: return "UTF-16LE";
	case CSVIN_UTF16BE: return "UTF-16BE";
	case CSVIN_CP1252: return "Windows-1252";
	case CSVIN_LATIN1: return "ISO-8859-1";
	case CSVIN_XLSX: return "XLSX";
	}
	return "?";
}

static bool cp1252_undefined(unsigned char c)
{
	return c == 0x81 || c == 0x8D || c == 0x8F || c == 0x90 || c == 0x9D;
}

static enum csvin_encoding sniff_bom(const unsigned char *b, size_t n)
{
	if (n >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF)
		return CSVIN_UTF8_BOM;
	if (n >= 2 && b[0] == 0xFF && b[1] == 0xFE)
		return CSVIN_UTF16LE;
	if (n >= 2 && b[0] == 0xFE && b[1] == 0xFF)
		return CSVIN_UTF16BE;
	return CSVIN_UTF8;
}

static int read_some(struct csvin *in, struct strbuf *sb, ssize_t *got)
{
	ssize_t n;

	strbuf_grow(sb, CHUNK);
	do {
		n = read(in->fd, sb->buf + sb->len, CHUNK);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		in->error_kind = GRIOT_ERR_IO;
		return error("cannot read %s: %s", in->name, strerror(errno));
	}
	strbuf_setlen(sb, sb->len + (size_t)n);
	*got = n;
	return 0;
}

/*
 * The evidence for UTF-8 in s[0..len): *good counts valid multi-byte
 * sequences, *bad invalid bytes; *complete is where a sequence cut by
 * the end of s begins (len when none), unless final.
 */
static void utf8_evidence(const char *s, size_t len, bool final, long long *good,
			  long long *bad, size_t *complete)
{
	size_t i = 0, used, tail;

	*complete = len;
	while (i < len) {
		if (!((unsigned char)s[i] & 0x80)) {
			i++;
			continue;
		}
		if (utf8_decode((const unsigned char *)s + i, len - i, &used) >= 0) {
			(*good)++;
			i += used;
			continue;
		}
		if (!final && len - i < 4 && utf8_check(s + i, len - i, true, &tail) == len - i &&
		    tail == 0) {
			*complete = i;  /* the rest comes with the next chunk */
			return;
		}
		(*bad)++;
		i++;
	}
}

/* UTF-8 unless the invalid bytes are more than a few strays among valid
 * accents: a UTF-8 file with a few bad lines stays UTF-8 (those lines
 * are rejected), a Windows-1252 file has no valid sequences at all. */
static bool utf8_wins(long long good, long long bad)
{
	return bad == 0 || good > UTF8_STRAYS * bad;
}

/* First pass over a regular file: hash, and decide the encoding from all
 * of its bytes, so a stray Windows-1252 byte on line 900,000 is not a
 * surprise halfway through the import. */
static int prepass(struct csvin *in)
{
	struct strbuf buf = STRBUF_INIT;
	bool first = true, undefined = false;
	size_t carry = 0;
	long long cr = 0, good = 0, bad = 0;
	ssize_t n;
	int ret = -1;

	sha256_init(&in->hash);
	for (;;) {
		size_t i, complete, start = 0;

		if (read_some(in, &buf, &n) < 0)
			goto out;
		if (n == 0)
			break;
		sha256_update(&in->hash, buf.buf + carry, (size_t)n);
		if (first) {
			in->enc = sniff_bom((unsigned char *)buf.buf, buf.len);
			if (in->enc == CSVIN_UTF8_BOM)
				start = 3;
			first = false;
		}
		if (in->enc == CSVIN_UTF16LE || in->enc == CSVIN_UTF16BE) {
			strbuf_reset(&buf);
			carry = 0;
			continue;
		}
		for (i = carry; i < buf.len; i++) {
			unsigned char c = (unsigned char)buf.buf[i];
			if (c == '\n')
				in->lines++;
			else if (c == '\r')
				cr++;
			else if (cp1252_undefined(c))
				undefined = true;
		}
		utf8_evidence(buf.buf + start, buf.len - start, false, &good, &bad, &complete);
		complete += start;
		carry = buf.len - complete;
		memmove(buf.buf, buf.buf + complete, carry);
		strbuf_setlen(&buf, carry);
	}
	if (carry)
		bad++;          /* cut sequence at the end of the file */
	if (!in->lines)
		in->lines = cr;
	in->lines++;    /* a last line without line end */
	sha256_hex(&in->hash, in->sha256);
	if (in->enc != CSVIN_UTF16LE && in->enc != CSVIN_UTF16BE && !utf8_wins(good, bad))
		in->enc = undefined ? CSVIN_LATIN1 : CSVIN_CP1252;
	if (lseek(in->fd, 0, SEEK_SET) < 0) {
		in->error_kind = GRIOT_ERR_IO;
		error("cannot rewind %s: %s", in->name, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	strbuf_release(&buf);
	return ret;
}

static int open_iconv(struct csvin *in)
{
	const char *from;
	iconv_t cd;

	switch (in->enc) {
	case CSVIN_UTF16LE: from = "UTF-16LE"; break;
	case CSVIN_UTF16BE: from = "UTF-16BE"; break;
	case CSVIN_CP1252: from = "WINDOWS-1252"; break;
	case CSVIN_LATIN1: from = "ISO-8859-1"; break;
	default: return 0;
	}
	cd = iconv_open("UTF-8", from);
	if (cd == (iconv_t)-1) {
		in->error_kind = GRIOT_ERR_INTERNAL;
		return error("cannot convert %s from %s: %s", in->name, from, strerror(errno));
	}
	in->cd = cd;
	return 0;
}

static int write_all(int fd, const char *b, size_t n)
{
	while (n) {
		ssize_t w = write(fd, b, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * A workbook on a pipe: copy it (in->in, then the rest) to an unlinked
 * temporary file, hashing it on the way, and read that instead.
 */
static int spool(struct csvin *in, bool eof)
{
	const char *dir = getenv("TMPDIR");
	char path[4096];
	ssize_t n = 1;
	int fd;

	if (!dir || !*dir)
		dir = "/tmp";
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(path, sizeof(path), "%s/griot-xlsx-XXXXXX", dir);
		fd = mkstemp(path);
		if (fd >= 0)
			unlink(path);
	}
	if (fd < 0) {
		in->error_kind = GRIOT_ERR_CANTCREAT;
		return error("%s: cannot make a temporary copy of the workbook in %s: %s",
			     in->name, dir, strerror(errno));
	}
	for (;;) {
		if (in->in.len && write_all(fd, in->in.buf, in->in.len) < 0) {
			in->error_kind = GRIOT_ERR_IO;
			close(fd);
			return error("%s: cannot copy the workbook to %s: %s", in->name, dir,
				     strerror(errno));
		}
		in->size = (off_t)(in->size < 0 ? 0 : in->size) + (off_t)in->in.len;
		strbuf_reset(&in->in);
		if (eof || n == 0)
			break;
		if (read_some(in, &in->in, &n) < 0) {
			close(fd);
			return -1;
		}
		sha256_update(&in->hash, in->in.buf, in->in.len);
	}
	sha256_hex(&in->hash, in->sha256);
	if (in->fd > 0)
		close(in->fd);
	in->fd = fd;
	in->seekable = true;
	in->eof = false;
	in->enc = CSVIN_XLSX;
	return 0;
}

int csvin_open(struct csvin *in, const char *path, char delim)
{
	struct stat st;

	memset(in, 0, sizeof(*in));
	in->fd = -1;
	in->size = -1;
	in->delim = delim;
	strbuf_init(&in->in, 0);
	strbuf_init(&in->text, 0);
	strbuf_init(&in->raw, 0);
	strbuf_init(&in->fbuf, 0);
	strbuf_init(&in->fix, 0);
	in->error_kind = GRIOT_ERR_DATA;
	if (!strcmp(path, "-")) {
		in->name = xstrdup("standard input");
		in->fd = 0;
	} else {
		in->name = xstrdup(path);
		in->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (in->fd < 0) {
			in->error_kind = GRIOT_ERR_NOINPUT;
			return error("cannot open %s: %s", path, strerror(errno));
		}
	}
	if (fstat(in->fd, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			in->error_kind = GRIOT_ERR_NOINPUT;
			return error("%s is a directory", in->name);
		}
		if (S_ISREG(st.st_mode)) {
			in->size = st.st_size;
			in->seekable = in->fd != 0;
		}
	}
	if (in->seekable) {
		char magic[4];
		bool zip = pread(in->fd, magic, sizeof(magic), 0) == (ssize_t)sizeof(magic) &&
			xlsx_magic(magic, sizeof(magic));
		if (prepass(in) < 0)
			return -1;
		if (zip) {
			in->enc = CSVIN_XLSX;
			in->lines = 0;
		}
	} else {
		/* Standard input: sniff the first chunk, keep it for parsing. */
		size_t complete, start;
		ssize_t n = 1;

		sha256_init(&in->hash);
		while (in->in.len < CHUNK && n > 0)
			if (read_some(in, &in->in, &n) < 0)
				return -1;
		sha256_update(&in->hash, in->in.buf, in->in.len);
		if (xlsx_magic(in->in.buf, in->in.len))
			return spool(in, n == 0);
		in->enc = sniff_bom((unsigned char *)in->in.buf, in->in.len);
		start = in->enc == CSVIN_UTF8_BOM ? 3 : 0;
		if (in->enc == CSVIN_UTF8 || in->enc == CSVIN_UTF8_BOM) {
			long long good = 0, bad = 0;
			utf8_evidence(in->in.buf + start, in->in.len - start, n == 0, &good, &bad,
				      &complete);
			if (!utf8_wins(good, bad)) {
				bool undefined = false;
				size_t i;
				for (i = 0; i < in->in.len; i++)
					if (cp1252_undefined((unsigned char)in->in.buf[i]))
						undefined = true;
				in->enc = undefined ? CSVIN_LATIN1 : CSVIN_CP1252;
			}
		}
		if (n == 0)
			in->eof = true;
		in->bytes_read = (long long)in->in.len;
	}
	return open_iconv(in);
}

void csvin_close(struct csvin *in)
{
	if (in->fd > 0)
		close(in->fd);
	in->fd = -1;
	if (in->cd)
		iconv_close((iconv_t)in->cd);
	in->cd = NULL;
	if (in->p) {
		csv_free(in->p);
		free(in->p);
		in->p = NULL;
	}
	strbuf_release(&in->in);
	strbuf_release(&in->text);
	strbuf_release(&in->raw);
	strbuf_release(&in->fbuf);
	strbuf_release(&in->fix);
	free(in->foff);
	free(in->flen);
	free(in->fptr);
	in->foff = in->flen = NULL;
	in->fptr = NULL;
	free(in->name);
	in->name = NULL;
}

static int only_space(unsigned char c)
{
	return c == ' ';
}

static void cb_field(void *s, size_t len, void *data)
{
	struct csvin *in = data;

	if (in->nf == in->af) {
		in->af = in->af ? in->af * 2 : 16;
		in->foff = xrealloc(in->foff, in->af * sizeof(*in->foff));
		in->flen = xrealloc(in->flen, in->af * sizeof(*in->flen));
		in->fptr = xrealloc(in->fptr, in->af * sizeof(*in->fptr));
	}
	in->foff[in->nf] = in->fbuf.len;
	in->flen[in->nf] = len;
	strbuf_add(&in->fbuf, s, len);
	strbuf_addch(&in->fbuf, '\0');
	in->nf++;
}

static void cb_row(int c, void *data)
{
	struct csvin *in = data;
	struct csvin_row row;
	size_t i, rl = in->raw.len;

	if (in->stop) {
		in->nf = 0;
		strbuf_reset(&in->fbuf);
		return;
	}
	for (i = 0; i < in->nf; i++)
		in->fptr[i] = in->fbuf.buf + in->foff[i];
	while (rl && (in->raw.buf[rl - 1] == '\n' || in->raw.buf[rl - 1] == '\r'))
		rl--;
	row.line = in->row_line;
	row.nfields = in->nf;
	row.fields = in->fptr;
	row.lens = in->flen;
	row.raw = in->raw.buf;
	row.raw_len = rl;
	row.bad_line = in->bad_line;
	row.bad_byte = in->bad_byte;
	row.bad_col = in->bad_col;
	in->bad_line = 0;
	if (in->fn(&row, in->fn_data) < 0) {
		in->stop = true;
		in->fn_ret = -1;
	}
	in->nf = 0;
	strbuf_reset(&in->fbuf);
}

static char sniff_delim(const char *s, size_t len)
{
	size_t i, comma = 0, semi = 0, tab = 0;
	bool q = false;

	for (i = 0; i < len; i++) {
		if (s[i] == '"')
			q = !q;
		else if (q)
			continue;
		else if (s[i] == ',')
			comma++;
		else if (s[i] == ';')
			semi++;
		else if (s[i] == '\t')
			tab++;
	}
	if (semi >= comma && semi >= tab && semi)
		return ';';
	if (tab > comma)
		return '\t';
	if (comma)
		return ',';
	/* One column: no delimiter to sniff, and "22370123456,00" (French
	 * decimal comma) in it must stay one cell. */
	return ';';
}

/* Excel's "sep=;" first line (also quoted, or followed by empty cells):
 * the delimiter it names, or 0. */
static char sep_line(const char *s, size_t len)
{
	while (len && (s[len - 1] == '\n' || s[len - 1] == '\r'))
		len--;
	if (len >= 2 && s[0] == '"' && s[len - 1] == '"') {
		s++;
		len -= 2;
	}
	if (len < 5 || strncasecmp(s, "sep=", 4))
		return 0;
	if (s[4] != ',' && s[4] != ';' && s[4] != '\t' && s[4] != '|')
		return 0;
	for (size_t i = 5; i < len; i++)
		if (s[i] != s[4])
			return 0;
	return s[4];
}

/*
 * libcsv (strict) stopped at s[at]: a quote where the format allows none
 * (inside an unquoted field, or a closing quote followed by more text).
 * Never guess where the field ends: name the line and the column (in
 * characters), and the line the row began on when the quote spans lines.
 */
static int quote_error(struct csvin *in, const char *s, size_t at)
{
	size_t i, col = 1;
	char span[96] = "";

	in->error_kind = GRIOT_ERR_DATA;
	if (csv_error(in->p) != CSV_EPARSE)
		return error("%s: line %lld: %s", in->name, in->line,
			     csv_strerror(csv_error(in->p)));
	for (i = 0; i < at; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			col++;
	if (in->row_line != in->line)
		snprintf(span, sizeof(span), "; the quoted field ending here opened on line %lld "
			 "(a quote never closed there?)", in->row_line);
	return error("%s: line %lld, column %zu: misplaced quote: a quote may only open a "
		     "field or close it before the delimiter%s; quote the whole field "
		     "and double the quotes inside it (\"Le \"\"Grand\"\" Moussa\")",
		     in->name, in->line, col, span);
}

/*
 * A line of a UTF-8 file with invalid bytes (s[bad] is the first): each
 * becomes U+FFFD in in->fix, so the row keeps its shape, and the row is
 * marked so that the importer rejects it (invalid_utf8) naming the line.
 * A NUL byte is an error: not a text file.
 */
static int repair_line(struct csvin *in, const char *s, size_t len, size_t bad)
{
	const char *line = s;

	strbuf_reset(&in->fix);
	while (bad != len) {
		if (!s[bad]) {
			in->error_kind = GRIOT_ERR_DATA;
			return error("%s: line %lld: NUL byte at column %zu (a UTF-16 file without "
				     "BOM, or not a text file?)", in->name, in->line,
				     (size_t)(s + bad - line) + 1);
		}
		if (!in->bad_line) {
			const char *p;
			in->bad_line = in->line;
			in->bad_byte = (unsigned char)s[bad];
			in->bad_col = 1;
			for (p = line; p < s + bad; p++)
				if (((unsigned char)*p & 0xC0) != 0x80)
					in->bad_col++;
		}
		strbuf_add(&in->fix, s, bad);
		strbuf_addstr(&in->fix, "\xEF\xBF\xBD");
		s += bad + 1;
		len -= bad + 1;
		bad = utf8_check(s, len, false, NULL);
	}
	strbuf_add(&in->fix, s, len);
	return 0;
}

static int feed_line(struct csvin *in, const char *s, size_t len)
{
	size_t done, bad = utf8_check(s, len, false, NULL);

	in->line++;
	if (!in->in_row)
		in->bad_line = 0;
	if (bad != len) {
		if (repair_line(in, s, len, bad) < 0)
			return -1;
		s = in->fix.buf;
		len = in->fix.len;
	}
	if (!in->started && in->line == 1 && sep_line(s, len)) {
		if (!in->delim)
			in->delim = sep_line(s, len);
		return 0;       /* not the header: the next line is */
	}
	if (!in->started) {
		if (!in->delim)
			in->delim = sniff_delim(s, len);
		csv_set_delim(in->p, (unsigned char)in->delim);
		in->started = true;
	}
	if (!in->in_row) {
		strbuf_reset(&in->raw);
		in->row_line = in->line;
	}
	if (in->raw.len + len > CSVIN_MAX_ROW) {
		in->error_kind = GRIOT_ERR_DATA;
		return error("%s: line %lld: the row starting here is longer than %d bytes "
			     "(a quote that is never closed?)", in->name, in->row_line, CSVIN_MAX_ROW);
	}
	strbuf_add(&in->raw, s, len);
	done = csv_parse(in->p, s, len, cb_field, cb_row, in);
	if (done != len)
		return quote_error(in, s, done);
	in->in_row = in->nf > 0 || in->p->pstate != 0;
	return in->stop ? in->fn_ret : 0;
}

/*
 * Where the line starting at s ends: the length up to and including its
 * terminator — LF, CRLF or a bare CR, each counted once, mixed as they
 * come — or 0 when s[0..len) holds no complete line (a CR at the very
 * end may be the first half of a CRLF: complete only at the end of the
 * input).
 */
static size_t line_len(const char *s, size_t len, bool final)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '\n')
			return i + 1;
		if (s[i] == '\r') {
			if (i + 1 < len)
				return s[i + 1] == '\n' ? i + 2 : i + 1;
			return final ? i + 1 : 0;
		}
	}
	return 0;
}

/* Split in->text into lines and feed the complete ones. */
static int feed_text(struct csvin *in, bool final)
{
	size_t pos = 0, n;

	while ((n = line_len(in->text.buf + pos, in->text.len - pos, final)) > 0) {
		if (feed_line(in, in->text.buf + pos, n) < 0)
			return -1;
		pos += n;
	}
	if (final && pos < in->text.len) {
		if (feed_line(in, in->text.buf + pos, in->text.len - pos) < 0)
			return -1;
		pos = in->text.len;
	}
	if (in->text.len - pos > CSVIN_MAX_ROW) {
		in->error_kind = GRIOT_ERR_DATA;
		return error("%s: line %lld is longer than %d bytes", in->name, in->line + 1,
			     CSVIN_MAX_ROW);
	}
	memmove(in->text.buf, in->text.buf + pos, in->text.len - pos);
	strbuf_setlen(&in->text, in->text.len - pos);
	return 0;
}

/* Move in->in (raw bytes) into in->text (UTF-8). */
static int decode(struct csvin *in, bool final)
{
	char *src;
	size_t left;

	if (!in->cd) {
		strbuf_add(&in->text, in->in.buf, in->in.len);
		strbuf_reset(&in->in);
		return 0;
	}
	src = in->in.buf;
	left = in->in.len;
	while (left) {
		char *dst;
		size_t room, r;

		strbuf_grow(&in->text, left * 2 + 16);
		dst = in->text.buf + in->text.len;
		room = in->text.alloc - in->text.len - 1;
		r = iconv((iconv_t)in->cd, &src, &left, &dst, &room);
		strbuf_setlen(&in->text, (size_t)(dst - in->text.buf));
		if (r != (size_t)-1)
			continue;
		if (errno == E2BIG)
			continue;
		if (errno == EINVAL && !final)
			break;  /* sequence cut by the chunk: keep it for next time */
		in->error_kind = GRIOT_ERR_DATA;
		return error("%s: line %lld: bytes that are not %s", in->name,
			     in->line + 1, csvin_encoding_name(in->enc));
	}
	memmove(in->in.buf, src, left);
	strbuf_setlen(&in->in, left);
	return 0;
}

int csvin_run(struct csvin *in, csvin_row_fn fn, void *data)
{
	bool first = true;
	ssize_t n;

	in->fn = fn;
	in->fn_data = data;
	if (in->enc == CSVIN_XLSX)
		return xlsx_run(in, fn, data);
	in->p = xcalloc(1, sizeof(*in->p));
	if (csv_init(in->p, CSV_APPEND_NULL | CSV_STRICT) != 0)
		die_oom();
	csv_set_space_func(in->p, only_space);

	for (;;) {
		/* Standard input's first chunk was read by csvin_open(). */
		if (!in->eof && !(first && !in->seekable && in->in.len)) {
			size_t before = in->in.len;
			if (read_some(in, &in->in, &n) < 0)
				return -1;
			if (n == 0)
				in->eof = true;
			else if (!in->seekable)
				sha256_update(&in->hash, in->in.buf + before, (size_t)n);
			in->bytes_read += n;
		}
		if (first) {
			size_t skip = 0;
			if (in->enc == CSVIN_UTF8_BOM && in->in.len >= 3)
				skip = 3;
			else if ((in->enc == CSVIN_UTF16LE || in->enc == CSVIN_UTF16BE) &&
				 in->in.len >= 2)
				skip = 2;
			memmove(in->in.buf, in->in.buf + skip, in->in.len - skip);
			strbuf_setlen(&in->in, in->in.len - skip);
			first = false;
		}
		if (decode(in, in->eof) < 0)
			return -1;
		if (feed_text(in, in->eof) < 0)
			return -1;
		if (in->eof)
			break;
	}
	if (!in->started) {
		in->error_kind = GRIOT_ERR_DATA;
		return error("%s: empty file: a header row is required", in->name);
	}
	/* libcsv's FIELD_BEGUN (2) inside quotes: the quote never closed. */
	if (in->in_row && in->p->pstate == 2 && in->p->quoted) {
		in->error_kind = GRIOT_ERR_DATA;
		return error("%s: line %lld: a quoted field is never closed", in->name,
			     in->row_line);
	}
	csv_fini(in->p, cb_field, cb_row, in);
	if (in->stop)
		return in->fn_ret;
	if (!in->seekable)
		sha256_hex(&in->hash, in->sha256);
	return 0;
}
