/* process: fork and exec one command in its own process group, feed its
 * stdin, capture stdout and stderr in one poll loop, and enforce a deadline
 * (or a stop request) on the whole group. Called from several worker threads
 * at once: no global state but the cancel slots, every descriptor
 * close-on-exec, and only our own pids are waited. */
#include "transport/process.h"
#include "util/bigmem.h"
#include "util/cancel.h"
#include "util/clock.h"
#include "util/xalloc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define READ_CHUNK (64u << 10)
#define READ_BIG (1u << 20)          /* reads once the output is past READ_CHUNK */
#define WRITE_CHUNK (64u << 10)
#define LINGER_MS 200           /* pipes held open by background children */
#define TICK_MS 10              /* exit checks when there is no pidfd */
#define DRAIN_MS 50             /* last read after the group is killed */
#define REAP_MS 2000            /* longest wait for killed group members */
#define CANCEL_TICK_MS 100      /* stop checks when there is no cancel_fd */

/* What the child reports through the status pipe when it cannot exec. */
enum stage { STAGE_SETUP = 1, STAGE_CHDIR, STAGE_EXEC };

struct child_report {
	int stage;
	int err;
};

/* Everything the child needs, prepared before fork: between fork and exec
 * the child only makes async-signal-safe calls. */
struct launch {
	char *const *argv;
	char **paths;           /* where to look for argv[0], NULL-terminated */
	char **sh_argv;         /* "/bin/sh", slot, argv[1..]: scripts without #! */
	const char *dir;
	int in_fd, out_fd, err_fd, status_fd;
	pid_t parent;           /* parity */
};

/* The descriptors of one launch; -1 when closed. */
struct pipes {
	int child_in;           /* the child's stdin */
	int in[2], out[2], err[2];
	int status[2];          /* the child's report when it cannot exec */
};

/* The parent's side of a running command. */
struct watch {
	pid_t pid;              /* also the process group id */
	int slot;               /* cancel_hold_group's, or -1 */
	int pidfd;              /* readable when the child ends; -1: ticks */
	int out_fd, err_fd, in_fd;
	const char *in_data;
	size_t in_len, in_off;
	size_t cap;
	bool exited;            /* the child ended; still a zombie, holding the id */
	int64_t exited_at;
	bool term_sent, kill_sent;
	int64_t term_at;
	char *chunk;
};

void proc_setup(void)
{
	(void)prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	signal(SIGPIPE, SIG_IGN);
}

void proc_result_release(struct proc_result *r)
{
	buf_release(&r->out);
	buf_release(&r->err);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static _Noreturn void child_fail(const struct launch *l, int stage, int err)
{
	struct child_report rep = { stage, err };
	ssize_t n = write(l->status_fd, &rep, sizeof(rep));

	(void)n;
	_exit(127);
}

/* Only async-signal-safe calls from here to exec. */
static _Noreturn void child_exec(const struct launch *l)
{
	struct sigaction sa = { 0 };
	sigset_t none;
	bool eacces = false;
	size_t n_stop;
	const int *stop = cancel_signals(&n_stop);

	sa.sa_handler = SIG_DFL;
	sigaction(SIGPIPE, &sa, NULL);
	/* parity's stop handlers must not run here (the signals stay blocked
	 * until the mask is cleared below); what was ignored stays ignored */
	for (size_t i = 0; i < n_stop; i++) {
		struct sigaction cur;
		if (sigaction(stop[i], NULL, &cur) == 0 && cur.sa_handler != SIG_IGN)
			sigaction(stop[i], &sa, NULL);
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setpgid(0, 0);
	/* Should parity end before it holds this group (a second signal in
	 * between, or a SIGKILL), the command goes too. Only the forking
	 * thread's end also sends it, and that thread reaps us first. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) == 0 && getppid() != l->parent)
		_exit(127);
	/* The parent moved these above 2, so no dup2 clobbers another. */
	if (dup2(l->in_fd, 0) < 0 || dup2(l->out_fd, 1) < 0 || dup2(l->err_fd, 2) < 0)
		child_fail(l, STAGE_SETUP, errno);
	if (l->dir && chdir(l->dir) < 0)
		child_fail(l, STAGE_CHDIR, errno);
#ifdef CLOSE_RANGE_CLOEXEC
	/* Descriptors other libraries opened without O_CLOEXEC. */
	(void)close_range(3, ~0u, CLOSE_RANGE_CLOEXEC);
#endif
	/* The search execvp does, with the candidates built before fork. */
	for (char **p = l->paths; *p; p++) {
		execve(*p, l->argv, environ);
		int e = errno;
		if (e == ENOEXEC) {
			l->sh_argv[1] = *p;
			execve("/bin/sh", l->sh_argv, environ);
			child_fail(l, STAGE_EXEC, e);
		}
		if (e == EACCES) {
			eacces = true;
			continue;
		}
		if (e == ENOENT || e == ENOTDIR || e == ESTALE || e == ENODEV ||
		    e == ETIMEDOUT)
			continue;
		child_fail(l, STAGE_EXEC, e);
	}
	child_fail(l, STAGE_EXEC, eacces ? EACCES : ENOENT);
}

static void free_list(char **v)
{
	if (!v)
		return;
	for (size_t i = 0; v[i]; i++)
		free(v[i]);
	free(v);
}

/* The file names execvp would try for name, in order. */
static char **exec_candidates(const char *name)
{
	char **v = NULL;
	size_t n = 0, cap = 0;

	if (strchr(name, '/')) {
		XGROW(v, cap, 2);
		v[n++] = xstrdup(name);
		v[n] = NULL;
		return v;
	}
	const char *path = getenv("PATH");
	if (!path)
		path = "/bin:/usr/bin";
	for (const char *s = path;;) {
		const char *colon = strchr(s, ':');
		size_t len = colon ? (size_t)(colon - s) : strlen(s);
		XGROW(v, cap, n + 2);
		/* An empty entry is the current directory. */
		if (len == 0)
			v[n++] = xstrdup(name);
		else
			v[n++] = xasprintf("%.*s/%s", (int)len, s, name);
		if (!colon)
			break;
		s = colon + 1;
	}
	v[n] = NULL;
	return v;
}

static char **shell_argv(char *const *argv)
{
	size_t argc = 0;

	while (argv[argc])
		argc++;
	char **v = xcalloc(argc + 2, sizeof(*v));
	v[0] = "/bin/sh";
	for (size_t i = 1; i < argc; i++)
		v[i + 1] = argv[i];
	return v;
}

/* Moves *fd above the standard descriptors (when the parent runs with one
 * of them closed, a pipe may land there). */
static int lift_fd(int *fd)
{
	if (*fd > 2)
		return 0;
	int moved = fcntl(*fd, F_DUPFD_CLOEXEC, 3);
	if (moved < 0)
		return -1;
	close(*fd);
	*fd = moved;
	return 0;
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	return 0;
}

/* Room for n more bytes at the end of b, growing it by doubling; a large
 * buffer asks for huge pages on its new, untouched part. */
static void room_for(struct buf *b, size_t n)
{
	size_t c = b->cap ? b->cap : 64;

	if (b->len + n + 1 <= b->cap)
		return;
	while (c < b->len + n + 1)
		c *= 2;
	b->data = xrealloc(b->data, c);
	bigmem_advise(b->data + b->len, c - b->len);
	b->cap = c;
}

/* One read from a capture pipe, straight into b while it is under the cap
 * (bytes past the cap are read and dropped, so that the command never
 * blocks on a full pipe); closes the pipe at EOF or on error. False when
 * there was nothing to read yet. */
static bool read_once(struct watch *w, int *fd, struct buf *b, bool *truncated)
{
	size_t room = b->len < w->cap ? w->cap - b->len : 0;
	size_t want = b->len < READ_CHUNK ? READ_CHUNK : READ_BIG;
	ssize_t n;

	if (want > room)
		want = room;
	if (want > 0) {
		room_for(b, want);
		n = read(*fd, b->data + b->len, want);
		if (n > 0) {
			b->len += (size_t)n;
			b->data[b->len] = '\0';
		}
	} else {
		n = read(*fd, w->chunk, READ_CHUNK);
		if (n > 0)
			*truncated = true;
	}
	if (n > 0)
		return true;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return false;
	close_fd(fd);
	return true;
}

static void write_once(struct watch *w)
{
	size_t left = w->in_len - w->in_off;
	ssize_t n = write(w->in_fd, w->in_data + w->in_off,
			  left < WRITE_CHUNK ? left : WRITE_CHUNK);

	if (n > 0)
		w->in_off += (size_t)n;
	else if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	/* EPIPE: the command stopped reading; that is its business. */
	if (n < 0 || w->in_off >= w->in_len)
		close_fd(&w->in_fd);
}

/* Whether the child has ended, without reaping it: while it is a zombie
 * its pid cannot be reused, so signalling its group stays safe. */
static bool child_ended(pid_t pid)
{
	siginfo_t info;

	memset(&info, 0, sizeof(info));
	if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) < 0)
		return errno == ECHILD;
	return info.si_pid == pid;
}

static int64_t min_wait(int64_t cur, int64_t cand)
{
	if (cand < 0)
		cand = 0;
	return cur < 0 || cand < cur ? cand : cur;
}

/* The deadline or a stop request: SIGTERM to the group, SIGKILL after the
 * grace. */
static void enforce_stop(struct watch *w, const struct proc_spec *spec,
			 struct proc_result *r, int64_t now)
{
	if (w->exited)
		return;
	if (!w->term_sent) {
		if (cancel_requested())
			r->interrupted = true;
		else if (spec->deadline_ms != 0 && now >= spec->deadline_ms)
			r->timed_out = true;
		else
			return;
		w->term_sent = true;
		w->term_at = now;
		kill(-w->pid, SIGTERM);
		kill(-w->pid, SIGCONT);     /* stopped members get the TERM too */
	}
	if (w->term_sent && !w->kill_sent && now >= w->term_at + PROC_KILL_GRACE_MS) {
		w->kill_sent = true;
		kill(-w->pid, SIGKILL);
	}
}

/* Poll timeout until the next thing to do; -1 for none. */
static int next_wait(const struct watch *w, const struct proc_spec *spec, int64_t now)
{
	int64_t t = -1;

	if (w->exited) {
		t = min_wait(t, w->exited_at + LINGER_MS - now);
	} else {
		if (spec->deadline_ms != 0 && !w->term_sent)
			t = min_wait(t, spec->deadline_ms - now);
		if (w->term_sent && !w->kill_sent)
			t = min_wait(t, w->term_at + PROC_KILL_GRACE_MS - now);
		if (w->pidfd < 0)
			t = min_wait(t, TICK_MS);
		if (!w->term_sent && cancel_fd() < 0)
			t = min_wait(t, CANCEL_TICK_MS);
	}
	return (int)(t > 60000 ? 60000 : t);
}

/* The descriptors supervise waits on; slot[i] says which one pfd[i] is. */
static nfds_t poll_set(struct watch *w, struct pollfd pfd[5], int *slot[5])
{
	static int cancel_slot;     /* only its address is used */
	nfds_t n = 0;

	if (w->out_fd >= 0) {
		pfd[n] = (struct pollfd){ .fd = w->out_fd, .events = POLLIN };
		slot[n++] = &w->out_fd;
	}
	if (w->err_fd >= 0) {
		pfd[n] = (struct pollfd){ .fd = w->err_fd, .events = POLLIN };
		slot[n++] = &w->err_fd;
	}
	if (w->in_fd >= 0) {
		pfd[n] = (struct pollfd){ .fd = w->in_fd, .events = POLLOUT };
		slot[n++] = &w->in_fd;
	}
	if (w->pidfd >= 0 && !w->exited) {
		pfd[n] = (struct pollfd){ .fd = w->pidfd, .events = POLLIN };
		slot[n++] = &w->pidfd;
	}
	/* Once the group has its SIGTERM the (always readable) stop pipe would
	 * only spin the loop. */
	if (cancel_fd() >= 0 && !w->term_sent && !w->exited) {
		pfd[n] = (struct pollfd){ .fd = cancel_fd(), .events = POLLIN };
		slot[n++] = &cancel_slot;
	}
	return n;
}

/* Reads and writes until the child has ended and its pipes are closed, or
 * LINGER_MS after it ended when something else keeps them open (at once
 * when a stop was requested). */
static void supervise(struct watch *w, const struct proc_spec *spec,
		      struct proc_result *r)
{
	for (;;) {
		int64_t now = clock_ms();
		if (!w->exited && child_ended(w->pid)) {
			w->exited = true;
			w->exited_at = now;
			close_fd(&w->pidfd);
		}
		if (w->exited && ((w->out_fd < 0 && w->err_fd < 0) ||
				  now >= w->exited_at + LINGER_MS || cancel_requested()))
			return;
		enforce_stop(w, spec, r, now);

		struct pollfd pfd[5];
		int *slot[5];
		nfds_t n = poll_set(w, pfd, slot);
		int rc = poll(pfd, n, next_wait(w, spec, now));
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0) {
			/* Cannot watch it any more: end it; the caller reaps. */
			kill(-w->pid, SIGKILL);
			return;
		}
		for (nfds_t i = 0; i < n; i++) {
			if (pfd[i].revents == 0)
				continue;
			if (slot[i] == &w->out_fd)
				(void)read_once(w, &w->out_fd, &r->out, &r->out_truncated);
			else if (slot[i] == &w->err_fd)
				(void)read_once(w, &w->err_fd, &r->err, &r->err_truncated);
			else if (slot[i] == &w->in_fd && (pfd[i].revents & POLLOUT))
				write_once(w);
			else if (slot[i] == &w->in_fd)
				close_fd(&w->in_fd);
			/* A readable pidfd or stop pipe: the checks at the top see it. */
		}
	}
}

/* What the pipes still hold once the group is killed, for at most DRAIN_MS. */
static void drain(struct watch *w, struct proc_result *r)
{
	int64_t until = clock_ms() + DRAIN_MS;
	bool more = true;

	while (more && (w->out_fd >= 0 || w->err_fd >= 0) && clock_ms() < until) {
		more = false;
		if (w->out_fd >= 0 && read_once(w, &w->out_fd, &r->out, &r->out_truncated))
			more = true;
		if (w->err_fd >= 0 && read_once(w, &w->err_fd, &r->err, &r->err_truncated))
			more = true;
	}
}

/* Reaps what is left of the group: descendants reparented to us (the
 * subreaper) after their parent ended, just sent SIGKILL. */
static void reap_group(pid_t pgid)
{
	int64_t until = clock_ms() + REAP_MS;

	for (;;) {
		int st;
		pid_t p = waitpid(-pgid, &st, WNOHANG);
		if (p > 0 || (p < 0 && errno == EINTR))
			continue;
		if (p < 0 || clock_ms() >= until)
			return;
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
}

static pid_t wait_pid(pid_t pid, int *st)
{
	pid_t p;

	do {
		p = waitpid(pid, st, 0);
	} while (p < 0 && errno == EINTR);
	return p;
}

/* Reads the child's report: 0 when it reached exec (the pipe closed). */
static int read_report(int fd, struct child_report *rep)
{
	ssize_t n;

	do {
		n = read(fd, rep, sizeof(*rep));
	} while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(*rep) ? -1 : 0;
}

static char *report_text(const struct child_report *rep, const struct proc_spec *spec)
{
	if (rep->stage == STAGE_CHDIR)
		return xasprintf("cannot change to directory '%s': %s", spec->dir,
				 strerror(rep->err));
	if (rep->stage == STAGE_EXEC)
		return xasprintf("cannot run '%s': %s", spec->argv[0], strerror(rep->err));
	return xasprintf("cannot start '%s': %s", spec->argv[0], strerror(rep->err));
}

static void pipes_init(struct pipes *pp)
{
	pp->child_in = -1;
	pp->in[0] = pp->in[1] = pp->out[0] = pp->out[1] = -1;
	pp->err[0] = pp->err[1] = pp->status[0] = pp->status[1] = -1;
}

static void pipes_close(struct pipes *pp)
{
	close_fd(&pp->child_in);
	for (int i = 0; i < 2; i++) {
		close_fd(&pp->in[i]);
		close_fd(&pp->out[i]);
		close_fd(&pp->err[i]);
		close_fd(&pp->status[i]);
	}
}

/* The child's stdin: the file, a pipe we feed, or /dev/null. -1 with errno
 * set, or with *err when the file cannot be opened. */
static int open_stdin(const struct proc_spec *spec, struct pipes *pp, char **err)
{
	if (spec->stdin_path) {
		pp->child_in = open(spec->stdin_path, O_RDONLY | O_CLOEXEC);
		if (pp->child_in < 0) {
			*err = xasprintf("cannot open stdin file '%s': %s", spec->stdin_path,
					 strerror(errno));
			return -1;
		}
		return 0;
	}
	if (spec->stdin_data) {
		if (pipe2(pp->in, O_CLOEXEC) < 0)
			return -1;
		pp->child_in = pp->in[0];
		pp->in[0] = -1;
		return set_nonblock(pp->in[1]);
	}
	pp->child_in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return pp->child_in < 0 ? -1 : 0;
}

/* Every descriptor of a launch; -1 with errno set (or *err). */
static int open_pipes(const struct proc_spec *spec, struct pipes *pp, char **err)
{
	if (open_stdin(spec, pp, err) < 0)
		return -1;
	if (pipe2(pp->out, O_CLOEXEC) < 0 || pipe2(pp->err, O_CLOEXEC) < 0 ||
	    pipe2(pp->status, O_CLOEXEC) < 0)
		return -1;
	if (lift_fd(&pp->child_in) < 0 || lift_fd(&pp->out[1]) < 0 || lift_fd(&pp->err[1]) < 0 ||
	    lift_fd(&pp->status[1]) < 0)
		return -1;
	if (set_nonblock(pp->out[0]) < 0 || set_nonblock(pp->err[0]) < 0)
		return -1;
#ifdef F_SETPIPE_SZ
	/* large outputs: fewer, larger reads (a hint; the limit may refuse it) */
	if (spec->cap > PROC_DEFAULT_CAP)
		(void)fcntl(pp->out[0], F_SETPIPE_SZ, (int)READ_BIG);
#endif
	return 0;
}

/* Forks the child into its own process group and holds the group for
 * cancel_now. The stop signals stay blocked from before fork until the
 * group is held, so that a handler never misses it; the child clears its
 * mask itself. -1 with errno set when fork fails. */
static int start_child(const struct launch *l, struct watch *w)
{
	sigset_t old;

	cancel_block(&old);
	w->pid = fork();
	if (w->pid == 0)
		child_exec(l);
	int saved = errno;
	if (w->pid > 0) {
		/* Both sides set the group, so no signal can reach the wrong one. */
		(void)setpgid(w->pid, w->pid);
		w->slot = cancel_hold_group(w->pid);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return w->pid > 0 ? 0 : -1;
}

/* Kills what is left of the group, reads the pipes' last bytes, reaps the
 * child (its status goes into r) and every other member. */
static void finish_group(struct watch *w, struct proc_result *r)
{
	int st = 0;

	/* Whatever is left in the group goes, while the child's zombie still
	 * holds the group id (no other group can have taken it). */
	kill(-w->pid, SIGKILL);
	cancel_drop_group(w->slot);
	w->slot = -1;
	drain(w, r);
	if (wait_pid(w->pid, &st) == w->pid) {
		r->exited = WIFEXITED(st);
		r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 0;
		r->signal = WIFSIGNALED(st) ? WTERMSIG(st) : 0;
	}
	reap_group(w->pid);
	w->pid = -1;
}

/* Hands the parent's ends of the pipes over to the watch. */
static void watch_init(struct watch *w, const struct proc_spec *spec, struct pipes *pp)
{
	w->out_fd = pp->out[0];
	w->err_fd = pp->err[0];
	pp->out[0] = pp->err[0] = -1;
	if (!spec->stdin_path && spec->stdin_data) {
		w->in_fd = pp->in[1];
		pp->in[1] = -1;
		w->in_data = spec->stdin_data;
		w->in_len = spec->stdin_len;
		if (w->in_len == 0)
			close_fd(&w->in_fd);
	}
	w->cap = spec->cap ? spec->cap : PROC_DEFAULT_CAP;
	w->chunk = xmalloc(READ_CHUNK);
#ifdef SYS_pidfd_open
	w->pidfd = (int)syscall(SYS_pidfd_open, w->pid, 0);
#endif
}

/* Why the command cannot start before the fork, or NULL. */
static char *refusal(const struct proc_spec *spec)
{
	if (!spec->argv || !spec->argv[0])
		return xstrdup("no command to run");
	if (!spec->argv[0][0])
		return xasprintf("cannot run '%s': %s", spec->argv[0], strerror(ENOENT));
	if (cancel_requested())
		return xasprintf("interrupted by %s", cancel_signal_name(cancel_signal()));
	return NULL;
}

int proc_run(const struct proc_spec *spec, struct proc_result *r, char **err)
{
	int rc = -1;
	struct pipes pp;
	struct launch l = { 0 };
	struct watch w = { 0 };
	struct child_report rep;
	double start = clock_seconds();

	memset(r, 0, sizeof(*r));
	buf_init(&r->out);
	buf_init(&r->err);
	/* A command given megabytes on stdin (a scorer) mostly answers with
	 * about as many: its output buffer starts that large rather than being
	 * copied at every doubling (pages it never touches cost nothing). */
	if (spec->stdin_data && spec->stdin_len >= BIGMEM_MIN) {
		size_t cap = spec->cap ? spec->cap : PROC_DEFAULT_CAP;
		room_for(&r->out, spec->stdin_len < cap ? spec->stdin_len : cap);
	}
	pipes_init(&pp);
	w.pid = -1;
	w.slot = -1;
	w.pidfd = w.out_fd = w.err_fd = w.in_fd = -1;
	*err = refusal(spec);
	if (*err)
		goto out;
	if (open_pipes(spec, &pp, err) < 0)
		goto sys_fail;
	l.argv = spec->argv;
	l.paths = exec_candidates(spec->argv[0]);
	l.sh_argv = shell_argv(spec->argv);
	l.dir = spec->dir;
	l.in_fd = pp.child_in;
	l.out_fd = pp.out[1];
	l.err_fd = pp.err[1];
	l.status_fd = pp.status[1];
	l.parent = getpid();
	if (start_child(&l, &w) < 0)
		goto sys_fail;
	r->pid = w.pid;
	close_fd(&pp.child_in);
	close_fd(&pp.out[1]);
	close_fd(&pp.err[1]);
	close_fd(&pp.status[1]);
	if (read_report(pp.status[0], &rep) < 0) {
		cancel_drop_group(w.slot);
		wait_pid(w.pid, NULL);
		w.pid = -1;
		*err = report_text(&rep, spec);
		goto out;
	}
	watch_init(&w, spec, &pp);
	supervise(&w, spec, r);
	finish_group(&w, r);
	rc = 0;
	goto out;

sys_fail:
	if (!*err)
		*err = xasprintf("cannot start '%s': %s", spec->argv[0], strerror(errno));
out:
	free(w.chunk);
	close_fd(&w.pidfd);
	close_fd(&w.out_fd);
	close_fd(&w.err_fd);
	close_fd(&w.in_fd);
	pipes_close(&pp);
	free_list(l.paths);
	free(l.sh_argv);
	r->seconds = clock_seconds() - start;
	if (rc < 0)
		proc_result_release(r);     /* nothing to release for the caller */
	return rc;
}
