/* report: the reporter table, atomic report files, and the escaping and
 * UTF-8 helpers the formats share. A format is one row here and one render
 * function in its own file. */
#include "report/report.h"
#include "util/file.h"
#include "util/buf.h"
#include "util/xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct reporter reporters[] = {
	{ "console", "txt", report_console },
	{ "tap", "tap", report_tap14 },
	{ "tap13", "tap", report_tap13 },
	{ "junit", "xml", report_junit },
	{ "json", "json", report_json },
	{ "markdown", "md", report_markdown },
	{ "html", "html", report_html },
};

#define N_REPORTERS (sizeof reporters / sizeof reporters[0])

static const char *const reporter_name_list[N_REPORTERS + 1] = {
	"console", "tap", "tap13", "junit", "json", "markdown", "html", NULL,
};

const struct reporter *reporter_find(const char *name)
{
	for (size_t i = 0; i < N_REPORTERS; i++)
		if (name && strcmp(reporters[i].name, name) == 0)
			return &reporters[i];
	return NULL;
}

const char *const *reporter_names(void)
{
	return reporter_name_list;
}

static int render_stdout(const struct reporter *rep, const struct run_result *r,
			 const struct report_opts *o, char **err)
{
	errno = 0;
	if (rep->render(r, stdout, o) == 0 && fflush(stdout) == 0 && !ferror(stdout))
		return 0;
	*err = xasprintf("cannot write report to stdout: %s", strerror(errno ? errno : EIO));
	return -1;
}

struct render_job {
	const struct reporter *rep;
	const struct run_result *r;
	const struct report_opts *o;
};

static int render_to(FILE *f, void *arg)
{
	const struct render_job *j = arg;
	return j->rep->render(j->r, f, j->o);
}

int report_write(const struct reporter *rep, const struct run_result *r,
		 const char *path, const struct report_opts *o, char **err)
{
	struct render_job job = {rep, r, o};

	*err = NULL;
	if (!path || strcmp(path, "-") == 0)
		return render_stdout(rep, r, o, err);
	return file_write_atomic(path, "report", render_to, &job, err);
}

size_t report_utf8_seq(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (p[0] == 0)
		return 0;
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3;
		if (p[0] == 0xe0)
			lo = 0xa0;
		else if (p[0] == 0xed)
			hi = 0x9f;      /* no surrogates */
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4;
		if (p[0] == 0xf0)
			lo = 0x90;
		else if (p[0] == 0xf4)
			hi = 0x8f;      /* nothing above U+10FFFF */
	} else {
		return 0;
	}
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

#define REPLACEMENT "\xef\xbf\xbd"      /* U+FFFD */

/* The contents of b, which is released (buf_detach leaves it initialized). */
static char *detach(struct buf *b)
{
	char *p = buf_detach(b);

	buf_release(b);
	return p;
}

char *report_utf8(const char *s)
{
	struct buf b;

	if (!s)
		return NULL;
	buf_init(&b);
	while (*s) {
		size_t n = report_utf8_seq(s);
		if (n == 0) {
			buf_puts(&b, REPLACEMENT);
			s++;
		} else {
			buf_add(&b, s, n);
			s += n;
		}
	}
	return detach(&b);
}

char *report_clip(const char *s, size_t max)
{
	char *fixed = report_utf8(s);
	size_t chars = 0, cut = 0;
	const char *p;

	if (!fixed)
		return NULL;
	for (p = fixed; *p; p += report_utf8_seq(p)) {
		if (chars + 1 == max)
			cut = (size_t)(p - fixed);
		chars++;
	}
	if (chars > max && max > 0) {
		char *clipped = xasprintf("%.*s\xe2\x80\xa6", (int)cut, fixed);
		free(fixed);
		return clipped;
	}
	return fixed;
}

/* Bytes of a Unicode line break other than LF and CR at s (NEL, LS, PS),
 * which some TAP and YAML readers split lines on; 0 when none. */
static size_t unicode_break(const char *s)
{
	if (strncmp(s, "\xc2\x85", 2) == 0)
		return 2;
	if (strncmp(s, "\xe2\x80\xa8", 3) == 0 || strncmp(s, "\xe2\x80\xa9", 3) == 0)
		return 3;
	return 0;
}

char *tap_escape(const char *s)
{
	struct buf b;

	buf_init(&b);
	for (; s && *s; s++) {
		size_t brk = unicode_break(s);
		if (brk) {
			buf_putc(&b, ' ');
			s += brk - 1;
		} else if (*s == '\\')
			buf_puts(&b, "\\\\");
		else if (*s == '#')
			buf_puts(&b, "\\#");
		else if (*s == '\r' && s[1] == '\n')
			continue;       /* CR LF is one line break: one space */
		else if (*s == '\n' || *s == '\r')
			buf_putc(&b, ' ');
		else
			buf_putc(&b, *s);
	}
	return detach(&b);
}

/* The XML 1.0 escape of one ASCII character, NULL when it stands for itself. */
static const char *xml_entity(char c, bool attribute)
{
	static const struct {
		char c;
		const char *text, *attr;
	} entities[] = {
		{ '&', "&amp;", "&amp;" },
		{ '<', "&lt;", "&lt;" },
		{ '>', "&gt;", "&gt;" },
		{ '"', "&quot;", "&quot;" },
		{ '\'', "&apos;", "&apos;" },
		{ '\t', NULL, "&#9;" },
		{ '\n', NULL, "&#10;" },
		{ '\r', "&#13;", "&#13;" },
	};

	for (size_t i = 0; i < sizeof entities / sizeof entities[0]; i++)
		if (entities[i].c == c)
			return attribute ? entities[i].attr : entities[i].text;
	return NULL;
}

char *xml_escape(const char *s, bool attribute)
{
	struct buf b;

	buf_init(&b);
	while (s && *s) {
		size_t n = report_utf8_seq(s);
		unsigned char c = (unsigned char)*s;
		const char *ent = n == 1 ? xml_entity(*s, attribute) : NULL;

		if (ent) {
			buf_puts(&b, ent);
		} else if (n == 1 && c < 0x20 && c != '\t' && c != '\n') {
			/* forbidden in XML 1.0 even as a character reference */
			buf_printf(&b, "\\x%02x", c);
		} else if (n == 0) {
			buf_puts(&b, REPLACEMENT);
			n = 1;
		} else if (n == 3 && memcmp(s, "\xef\xbf\xbe", 3) == 0) {
			buf_puts(&b, "\\ufffe");
		} else if (n == 3 && memcmp(s, "\xef\xbf\xbf", 3) == 0) {
			buf_puts(&b, "\\uffff");
		} else {
			buf_add(&b, s, n);
		}
		s += n;
	}
	return detach(&b);
}

char *md_escape_cell(const char *s)
{
	static const char special[] = "\\`*_[]<>|~&";
	struct buf b;

	buf_init(&b);
	while (s && *s) {
		size_t n = report_utf8_seq(s);
		unsigned char c = (unsigned char)*s;

		if (n == 0) {
			buf_puts(&b, REPLACEMENT);
			n = 1;
		} else if (c == '\r' && s[1] == '\n') {
			/* CR LF: the LF makes the break */
		} else if (c == '\n' || c == '\r') {
			buf_puts(&b, "<br>");
		} else if (c < 0x20 || c == 0x7f) {
			buf_putc(&b, ' ');
		} else if (n == 1 && strchr(special, *s)) {
			buf_putc(&b, '\\');
			buf_putc(&b, *s);
		} else {
			buf_add(&b, s, n);
		}
		s += n;
	}
	return detach(&b);
}
