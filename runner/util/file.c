/* file: atomic whole-file writes (temporary file + rename). The temporary
 * file is held for cancel_now while it exists, so that even parity ending
 * at once on a second signal leaves none behind. */
#include "util/file.h"
#include "util/cancel.h"
#include "util/xalloc.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Writes a FIFO, a device or /dev/stdout in place: renaming over it would
 * replace it, and its reader would get nothing. Returns 0, or an errno. */
static int write_in_place(const char *path, int (*write)(FILE *f, void *arg), void *arg)
{
	FILE *f = fopen(path, "w");
	int saved;

	if (!f)
		return errno;
	errno = 0;
	int rc = write(f, arg) == 0 && fflush(f) == 0 && !ferror(f) ? 0 : -1;
	saved = rc ? (errno ? errno : EIO) : 0;
	if (fclose(f) != 0 && rc == 0)
		saved = errno;
	return saved;
}

/* Writes the open temporary file fd, then renames it onto path (or removes
 * it). Returns 0, or an errno. */
static int write_and_rename(int fd, const char *tmp, const char *path, int slot,
			    int (*write)(FILE *f, void *arg), void *arg)
{
	FILE *f = NULL;
	int saved = 0;
	sigset_t old;

	/* mkstemp makes the file 0600; what parity writes is for everyone to read */
	mode_t mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) == 0)
		f = fdopen(fd, "w");
	if (!f) {
		saved = errno;
		close(fd);
		goto out;
	}
	errno = 0;
	if (write(f, arg) != 0 || fflush(f) != 0 || ferror(f)) {
		saved = errno ? errno : EIO;
		fclose(f);
		goto out;
	}
	errno = 0;
	if (fclose(f) != 0) {
		saved = errno ? errno : EIO;
		goto out;
	}
	cancel_block(&old);
	if (rename(tmp, path) != 0) {
		saved = errno ? errno : EIO;
		unlink(tmp);
	}
	cancel_drop_file(slot);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return saved;
out:
	cancel_block(&old);
	unlink(tmp);
	cancel_drop_file(slot);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return saved;
}

int file_write_atomic(const char *path, const char *what, int (*write)(FILE *f, void *arg),
		      void *arg, char **err)
{
	char *tmp = NULL;
	int saved, fd, slot = -1;
	struct stat st;
	sigset_t old;

	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		saved = write_in_place(path, write, arg);
		goto out;
	}
	tmp = xasprintf("%s.tmp.XXXXXX", path);
	/* The stop signals are blocked (the handler runs on the main thread,
	 * where the outputs are written) from before the temporary file exists
	 * until it is held for cancel_now, and again from its rename or removal
	 * until it is let go. */
	cancel_block(&old);
	fd = mkstemp(tmp);
	saved = errno;
	if (fd >= 0)
		slot = cancel_hold_file(tmp);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (fd >= 0)
		saved = write_and_rename(fd, tmp, path, slot, write, arg);
out:
	if (saved != 0)
		*err = xasprintf("cannot write %s%s'%s': %s", what ? what : "", what ? " " : "", path,
				 strerror(saved));
	free(tmp);
	return saved != 0 ? -1 : 0;
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
