/* lock: rendering the lock file as YAML with JSON-quoted scalars (valid
 * YAML), a header comment saying when, where from and for which contract. */
#include "engine/lock.h"
#include "steps/step.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/secret.h"
#include "util/xalloc.h"

#include <stdint.h>
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

/* The header: when, where from, for which contract. */
static void put_header(struct buf *b, const struct contract *c, const char *env,
		       const char *hostname, const char *how)
{
	char stamp[32];
	clock_iso8601(time(NULL), stamp);
	buf_printf(b, "# parity lock file: pins observed in a known-good environment.\n"
		   "# Written by parity %s at %s from environment '%s' on host '%s'%s.\n"
		   "# Contract %s, sha256 %s. Regenerate with:\n"
		   "#   parity lock %s --from %s\n",
		   PARITY_VERSION, stamp, env, hostname ? hostname : "?", how, c->path, c->sha256,
		   c->path, env);
	buf_puts(b, "parity-lock: 1\ncontract: ");
	put_quoted(b, c->sha256);
	buf_puts(b, "\nenvironment: ");
	put_quoted(b, env);
	buf_puts(b, "\nsteps:\n");
}

/* One step's pins (string values), keys sorted; secrets left out and
 * counted in *skipped. Returns whether anything was written. */
static bool put_pins(struct buf *b, const char *id, const json_t *pins, size_t *skipped)
{
	size_t nk = json_object_size(pins), ki = 0;
	const char **keys = xcalloc(nk + 1, sizeof *keys);
	const char *k;
	json_t *v;
	bool header = false;
	json_object_foreach((json_t *)(uintptr_t)pins, k, v)
		keys[ki++] = k;
	qsort(keys, nk, sizeof *keys, cmp_key);
	for (ki = 0; ki < nk; ki++) {
		k = keys[ki];
		const char *val = json_string_value(json_object_get(pins, k));
		if (!val)
			continue;
		char *m = secret_mask(val);
		bool secret = strcmp(m, val) != 0;
		free(m);
		if (secret) {
			(*skipped)++;
			continue;
		}
		if (!header)
			buf_printf(b, "  %s:\n", id);
		header = true;
		buf_puts(b, "    ");
		put_quoted(b, k);
		buf_puts(b, ": ");
		put_quoted(b, val);
		buf_putc(b, '\n');
	}
	free(keys);
	return header;
}

/* The "tolerance.*" pins of old (a lock file's pins of one step) into pins. */
static void keep_bands(json_t *pins, const json_t *old)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)(uintptr_t)old, k, v)
		if (!strncmp(k, "tolerance.", 10))
			json_object_set(pins, k, v);
}

char *lock_render(const struct contract *c, size_t env, const struct fact_table *facts,
		  const char *hostname, const json_t *old, size_t *skipped)
{
	json_t *all = json_object();
	for (size_t i = 0; i < c->n_steps; i++) {
		const struct step *s = &c->steps[i];
		const struct fact *f = fact_at(facts, i, env);
		json_t *pins = f->state == FACT_OK && s->kind->lock ? s->kind->lock(s, f->value) : NULL;
		const json_t *bands = json_object_get(old, s->id);
		if (!pins && bands)
			pins = json_object();
		if (bands)
			keep_bands(pins, bands);
		if (pins)
			json_object_set_new(all, s->id, pins);
	}
	char *r = lock_render_pins(c, c->envs[env].name, all, hostname, "", skipped);
	json_decref(all);
	return r;
}

char *lock_render_pins(const struct contract *c, const char *env, const json_t *pins,
		       const char *hostname, const char *how, size_t *skipped)
{
	struct buf b;
	size_t n = 0;
	buf_init(&b);
	*skipped = 0;
	put_header(&b, c, env, hostname, how);
	for (size_t i = 0; i < c->n_steps; i++) {
		const json_t *p = json_object_get(pins, c->steps[i].id);
		if (p && put_pins(&b, c->steps[i].id, p, skipped))
			n++;
	}
	if (n == 0)
		buf_puts(&b, "  {}\n");
	char *r = buf_detach(&b);
	buf_release(&b);
	return r;
}
