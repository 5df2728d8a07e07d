#ifndef CORE_AFILE_H
#define CORE_AFILE_H
/*
 * Output files that readers see either as they were or whole: written to
 * an unnamed file (O_TMPFILE) in the target's directory, or a named
 * temporary where that is unsupported, and given the target's name only by
 * afile_commit().  A process killed midway, even by SIGKILL, leaves no
 * partial file behind.
 *
 * A target that exists and is not a regular file (/dev/null, a FIFO,
 * /dev/stdout) is written in place: renaming over it would replace the
 * device node.
 */
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

struct afile {
	FILE *fp;          /* write here */
	char *path;        /* the final name */
	char *tmp;         /* named temporary, if any */
	bool anon;         /* fp is an O_TMPFILE with no name yet */
	bool direct;       /* the target is written in place */
};

/* 0, or -1 after error() naming the path. */
int afile_open(struct afile *af, const char *path, mode_t mode);
/* Flush and fsync what was written so far (e.g. before a database commit). */
int afile_sync(struct afile *af);
/* Sync, then give the file its name (replacing any older one), close. */
int afile_commit(struct afile *af);
/* Close and forget everything written; safe after a failed commit too. */
void afile_abort(struct afile *af);
/* Whole-file shorthand. */
int afile_write(const char *path, const void *data, size_t len, mode_t mode);

#endif
