#include "core/afile.h"
#include "core/log.h"
#include "core/strbuf.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void afile_reset(struct afile *af)
{
	free(af->path);
	free(af->tmp);
	memset(af, 0, sizeof(*af));
}

int afile_open(struct afile *af, const char *path, mode_t mode)
{
	struct strbuf dir = STRBUF_INIT;
	const char *slash = strrchr(path, '/');
	struct stat st;
	int fd;

	memset(af, 0, sizeof(*af));
	af->path = xstrdup(path);
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		af->direct = true;
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			goto fail;
		goto opened;
	}
	if (slash)
		strbuf_add(&dir, path, (size_t)(slash - path) + 1);
	else
		strbuf_addstr(&dir, ".");
	fd = open(dir.buf, O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
	strbuf_release(&dir);
	if (fd >= 0) {
		af->anon = true;
	} else {
		struct strbuf tmp = STRBUF_INIT;

		strbuf_addf(&tmp, "%s.tmp-XXXXXX", path);
		fd = mkstemp(tmp.buf);
		if (fd < 0) {
			strbuf_release(&tmp);
			goto fail;
		}
		fchmod(fd, mode);
		af->tmp = strbuf_detach(&tmp, NULL);
	}
opened:
	af->fp = fdopen(fd, "w");
	if (!af->fp)
		die_oom();
	return 0;
fail:
	error("cannot create %s: %s", path, strerror(errno));
	afile_reset(af);
	return -1;
}

int afile_sync(struct afile *af)
{
	if (fflush(af->fp) || ferror(af->fp) ||
	    (!af->direct && fsync(fileno(af->fp)) < 0))
		return error("cannot write %s: %s", af->path, strerror(errno ? errno : EIO));
	return 0;
}

int afile_commit(struct afile *af)
{
	int ret = -1;

	if (!af->fp)
		return error("cannot write %s", af->path ? af->path : "(file)");
	if (afile_sync(af) < 0)
		goto out;
	if (af->direct) {
		ret = 0;
		goto out;
	}
	if (af->anon) {
		char proc[64];
		struct strbuf tmp = STRBUF_INIT;

		/* linkat cannot replace a name: link to a temporary, then rename. */
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fileno(af->fp));
		strbuf_addf(&tmp, "%s.tmp-%d", af->path, (int)getpid());
		unlink(tmp.buf);
		if (linkat(AT_FDCWD, proc, AT_FDCWD, tmp.buf, AT_SYMLINK_FOLLOW) < 0) {
			error("cannot create %s: %s", af->path, strerror(errno));
			strbuf_release(&tmp);
			goto out;
		}
		af->tmp = strbuf_detach(&tmp, NULL);
	}
	if (rename(af->tmp, af->path) < 0) {
		error("cannot rename %s to %s: %s", af->tmp, af->path, strerror(errno));
		goto out;
	}
	free(af->tmp);
	af->tmp = NULL;
	ret = 0;
out:
	if (fclose(af->fp) && ret == 0)
		ret = error("cannot write %s: %s", af->path, strerror(errno));
	af->fp = NULL;
	if (ret < 0 && af->tmp)
		unlink(af->tmp);
	afile_reset(af);
	return ret;
}

void afile_abort(struct afile *af)
{
	if (af->fp)
		fclose(af->fp);
	af->fp = NULL;
	if (af->tmp)
		unlink(af->tmp);
	afile_reset(af);
}

int afile_write(const char *path, const void *data, size_t len, mode_t mode)
{
	struct afile af;

	if (afile_open(&af, path, mode) < 0)
		return -1;
	if (len && fwrite(data, 1, len, af.fp) != len) {
		error("cannot write %s: %s", path, strerror(errno));
		afile_abort(&af);
		return -1;
	}
	return afile_commit(&af);
}
