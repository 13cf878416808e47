/* lock: rendering the lock file as YAML with JSON-quoted scalars (valid
 * YAML), a header comment saying when, where from and for which contract. */
#include "engine/lock.h"
#include "steps/step.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/secret.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static int cmp_key(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void put_quoted(struct buf *b, const char *s)
{
	json_t *j = json_string(s);
	char *q = json_dumps(j, JSON_ENCODE_ANY);
	buf_puts(b, q ? q : "\"\"");
	free(q);
	json_decref(j);
}

char *lock_render(const struct contract *c, size_t env, const struct fact_table *facts,
		  const char *hostname, size_t *skipped)
{
	struct buf b;
	char stamp[32];
	clock_iso8601(time(NULL), stamp);
	buf_init(&b);
	*skipped = 0;
	buf_printf(&b, "# parity lock file: pins observed in a known-good environment.\n"
		   "# Written by parity %s at %s from environment '%s' on host '%s'.\n"
		   "# Contract %s, sha256 %s. Regenerate with:\n"
		   "#   parity lock %s --from %s\n",
		   PARITY_VERSION, stamp, c->envs[env].name, hostname ? hostname : "?",
		   c->path, c->sha256, c->path, c->envs[env].name);
	buf_puts(&b, "parity-lock: 1\ncontract: ");
	put_quoted(&b, c->sha256);
	buf_puts(&b, "\nenvironment: ");
	put_quoted(&b, c->envs[env].name);
	buf_puts(&b, "\nsteps:\n");
	size_t n = 0;
	for (size_t i = 0; i < c->n_steps; i++) {
		const struct step *s = &c->steps[i];
		const struct fact *f = fact_at(facts, i, env);
		if (f->state != FACT_OK || !s->kind->lock)
			continue;
		json_t *pins = s->kind->lock(s, f->value);
		if (!pins)
			continue;
		size_t nk = json_object_size(pins), ki = 0;
		const char **keys = xcalloc(nk + 1, sizeof *keys);
		const char *k;
		json_t *v;
		bool header = false;
		json_object_foreach(pins, k, v)
			keys[ki++] = k;
		qsort(keys, nk, sizeof *keys, cmp_key);
		for (ki = 0; ki < nk; ki++) {
			k = keys[ki];
			v = json_object_get(pins, k);
			const char *val = json_string_value(v);
			if (!val)
				continue;
			char *m = secret_mask(val);
			bool secret = strcmp(m, val) != 0;
			free(m);
			if (secret) {
				(*skipped)++;
				continue;
			}
			if (!header) {
				buf_printf(&b, "  %s:\n", s->id);
				header = true;
				n++;
			}
			buf_puts(&b, "    ");
			put_quoted(&b, k);
			buf_puts(&b, ": ");
			put_quoted(&b, val);
			buf_putc(&b, '\n');
		}
		free(keys);
		json_decref(pins);
	}
	if (n == 0)
		buf_puts(&b, "  {}\n");
	char *r = buf_detach(&b);
	buf_release(&b);
	return r;
}
