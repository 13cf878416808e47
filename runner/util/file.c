/* file: atomic whole-file writes (temporary file + rename). */
#include "util/file.h"
#include "util/xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int file_write_atomic(const char *path, const char *what, int (*write)(FILE *f, void *arg),
		      void *arg, char **err)
{
	char *tmp = NULL;
	FILE *f = NULL;
	int rc = -1, saved = 0, fd;
	struct stat st;

	/* a FIFO, a device or /dev/stdout is written in place: renaming over it
	 * would replace it, and its reader would get nothing */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		f = fopen(path, "w");
		if (!f) {
			saved = errno;
			goto out;
		}
		errno = 0;
		rc = write(f, arg) == 0 && fflush(f) == 0 && !ferror(f) ? 0 : -1;
		saved = errno ? errno : EIO;
		if (fclose(f) != 0 && rc == 0) {
			saved = errno;
			rc = -1;
		}
		goto out;
	}
	tmp = xasprintf("%s.tmp.XXXXXX", path);
	fd = mkstemp(tmp);

	if (fd < 0) {
		saved = errno;
		goto out;
	}
	/* mkstemp makes the file 0600; what parity writes is for everyone to read */
	mode_t mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) == 0)
		f = fdopen(fd, "w");
	if (!f) {
		saved = errno;
		close(fd);
		unlink(tmp);
		goto out;
	}
	errno = 0;
	if (write(f, arg) != 0 || fflush(f) != 0 || ferror(f)) {
		saved = errno ? errno : EIO;
		fclose(f);
		unlink(tmp);
		goto out;
	}
	errno = 0;
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		saved = errno ? errno : EIO;
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	if (rc != 0)
		*err = xasprintf("cannot write %s%s'%s': %s", what ? what : "", what ? " " : "", path,
				 strerror(saved));
	free(tmp);
	return rc;
}

struct text {
	const char *p;
	size_t len;
};

static int write_text(FILE *f, void *arg)
{
	const struct text *t = arg;
	return fwrite(t->p, 1, t->len, f) == t->len ? 0 : -1;
}

int file_write_text(const char *path, const char *what, const char *text, size_t len, char **err)
{
	struct text t = {text, len};
	return file_write_atomic(path, what, write_text, &t, err);
}

char *file_beside(const char *file, const char *path)
{
	const char *slash = strrchr(file, '/');
	if (path[0] == '/' || !slash)
		return xstrdup(path);
	return xasprintf("%.*s/%s", (int)(slash - file), file, path);
}
