/* artifact: the sha256 of a file or a directory in each environment, pinned
 * and compared across environments. On this host hashing is in-process
 * (OpenSSL EVP); through an exec prefix it runs sha256sum there. */
#include "model/matcher.h"
#include "load/check.h"
#include "steps/step.h"
#include "transport/exec.h"
#include "util/clock.h"
#include "util/hash.h"
#include "util/xalloc.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const struct step_key kind_keys[] = {
	{"path", true,
	 "{\"type\":\"string\",\"minLength\":1}",
	 "File or directory to hash; relative paths start at the "
	 "environment's dir."},
	{"sha256", false,
	 "{\"allOf\":[{\"$ref\":\"#/definitions/sha256\"}]}",
	 "Pinned digest; the lock file may supply it."},
	{"same", false,
	 "{\"type\":\"boolean\",\"default\":true}",
	 "The digest must be equal in every environment that ran the step."},
	{NULL, false, NULL, NULL},
};

struct artifact {
	char *path;             /* raw, expanded per environment */
	struct matcher *pin;    /* sha256, or NULL */
	bool same;
};

/* Lists regular files under $1 (or hashes the file), sha256sum format. */
static const char remote_script[] =
	"p=\"$1\"\n"
	"if [ -d \"$p\" ]; then echo dir; cd \"$p\" || exit 2;"
	" find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum;"
	" elif [ -e \"$p\" ]; then echo file; sha256sum < \"$p\"; wc -c < \"$p\";"
	" else echo missing; fi";

/* 'sha256': 64 hex digits in any case (kept lowercase), interpolated like
 * any pinned value. The pin (owned by the arena), or NULL after reporting. */
static struct matcher *parse_sha256(const struct node *n, const struct parse_ctx *p)
{
	if (n->type != NODE_SCALAR || node_is_null(n)) {
		diag_at(p->d, &n->mark, "'sha256' must be a 64-digit hex string, got %s",
			node_type_name(n));
		return NULL;
	}
	char *v = interp_node(&p->pin_ctx, n, p->d);
	if (!v)
		return NULL;
	size_t len = strlen(v);
	bool hex = len == 64;
	for (size_t i = 0; i < len; i++) {
		hex = hex && isxdigit((unsigned char)v[i]);
		v[i] = (char)tolower((unsigned char)v[i]);
	}
	struct matcher *m = hex ? matcher_exact(v) : NULL;
	if (!hex)
		diag_at(p->d, &n->mark, "'sha256' must be 64 hex digits, got %zu characters '%s' "
			"(copy it from sha256sum's output)", len, v);
	free(v);
	return kit_own_matcher(p, m);
}

static int parse(struct step *s, const struct parse_ctx *p)
{
	struct artifact *a = kit_new(p, sizeof *a);
	const struct node *n = node_get(s->body, "sha256");
	int errors = p->d->errors;
	s->data = a;
	a->same = true;

	if (check_required(p->d, s->body, "path", p->where) < 0 ||
	    kit_string(p, s->body, "path", &a->path) < 0)
		return -1;
	if (!a->path[0]) {
		diag_at(p->d, &node_get(s->body, "path")->mark, "'path' is empty");
		return -1;
	}
	get_bool(p->d, s->body, "same", &a->same);
	if (n)
		a->pin = parse_sha256(n, p);
	return p->d->errors == errors ? 0 : -1;
}

static int gather_local(const struct gather_ctx *g, const char *path, json_t *fact, char **err)
{
	char hex[SHA256_HEX_LEN + 1];
	uint64_t bytes = 0;
	size_t files = 0;
	struct stat st;
	char *full = path[0] == '/' || !g->env->dir ? xstrdup(path)
		     : xasprintf("%s/%s", g->env->dir, path);
	int rc = -1;

	if (stat(full, &st) < 0) {
		if (errno != ENOENT && errno != ENOTDIR) {
			*err = xasprintf("cannot read '%s': %s", full, strerror(errno));
			goto out;
		}
		json_object_set_new(fact, "exists", json_false());
		rc = 0;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		if (hash_dir(full, g->deadline_ms, hex, &bytes, &files, err) < 0)
			goto out;
		json_object_set_new(fact, "type", json_string("dir"));
		json_object_set_new(fact, "files", json_integer((json_int_t)files));
	} else {
		if (hash_file(full, g->deadline_ms, hex, &bytes, err) < 0)
			goto out;
		json_object_set_new(fact, "type", json_string("file"));
	}
	json_object_set_new(fact, "exists", json_true());
	json_object_set_new(fact, "sha256", json_string(hex));
	json_object_set_new(fact, "bytes", json_integer((json_int_t)bytes));
	rc = 0;
out:
	free(full);
	return rc;
}

static int gather_remote(const struct gather_ctx *g, const char *path, json_t *fact, char **err)
{
	char *const argv[] = {"/bin/sh", "-c", (char *)(uintptr_t)remote_script, "parity-artifact",
			      (char *)(uintptr_t)path, NULL};
	struct env_cmd cmd = {argv, NULL, NULL, 0, NULL, 0};
	struct proc_result r;
	char hex[SHA256_HEX_LEN + 1];
	int rc = -1;

	if (env_run(&g->where, &cmd, g->deadline_ms, &r, err) < 0)
		return -1;
	if (r.timed_out) {
		*err = xasprintf("hashing '%s' timed out after %.1fs", path, r.seconds);
		goto out;
	}
	if (!r.exited || r.status != 0) {
		*err = xasprintf("hashing '%s' failed (%s %d): %.300s", path,
				 r.exited ? "exit status" : "signal", r.exited ? r.status : r.signal,
				 r.err.data);
		goto out;
	}
	char *body = strchr(r.out.data, '\n');
	if (!body) {
		*err = xasprintf("hashing '%s': unexpected output '%.100s'", path, r.out.data);
		goto out;
	}
	*body++ = '\0';
	if (!strcmp(r.out.data, "missing")) {
		json_object_set_new(fact, "exists", json_false());
		rc = 0;
		goto out;
	}
	if (!strcmp(r.out.data, "dir")) {
		size_t files = 0;
		if (hash_dir_from_listing(body, hex, &files, err) < 0)
			goto out;
		json_object_set_new(fact, "type", json_string("dir"));
		json_object_set_new(fact, "files", json_integer((json_int_t)files));
	} else {
		/* "<hex>  -\n<bytes>\n" */
		if (strlen(body) < SHA256_HEX_LEN || body[SHA256_HEX_LEN] != ' ') {
			*err = xasprintf("hashing '%s': unexpected sha256sum output '%.100s'", path, body);
			goto out;
		}
		memcpy(hex, body, SHA256_HEX_LEN);
		hex[SHA256_HEX_LEN] = '\0';
		const char *nl = strchr(body, '\n');
		json_object_set_new(fact, "type", json_string("file"));
		if (nl)
			json_object_set_new(fact, "bytes", json_integer(strtoll(nl + 1, NULL, 10)));
	}
	json_object_set_new(fact, "exists", json_true());
	json_object_set_new(fact, "sha256", json_string(hex));
	rc = 0;
out:
	proc_result_release(&r);
	return rc;
}

static int gather(const struct gather_ctx *g, json_t **value, char **err)
{
	const struct artifact *a = g->step->data;
	char *path = gather_expand(g, a->path, err);
	if (!path)
		return -1;
	json_t *fact = json_object();
	json_object_set_new(fact, "path", json_string(path));
	int rc = g->env->exec ? gather_remote(g, path, fact, err) : gather_local(g, path, fact, err);
	free(path);
	if (rc < 0) {
		json_decref(fact);
		return -1;
	}
	*value = fact;
	return 0;
}

static void evaluate(const struct eval_ctx *e, struct step_result *r)
{
	const struct artifact *a = e->step->data;
	const char *lock_pin = fact_str(e->lock, "sha256");

	EVAL_ENVS(e, i) {
		const char *env = eval_env_name(e, i);
		const json_t *v = eval_value(e, i);
		const char *path = fact_str(v, "path"), *hex = fact_str(v, "sha256");
		if (!json_is_true(json_object_get(v, "exists")))
			eval_check(r, env, ST_FAIL, "exists", "a file or directory", "missing",
				   "'%s' not found in %s", path ? path : "?", env);
		else if (a->pin || lock_pin)
			eval_pin(r, env, "sha256", a->pin, lock_pin, hex);
		else
			eval_check(r, env, ST_PASS, "sha256", NULL, hex,
				   "sha256 of '%s' recorded (nothing pinned)", path ? path : "?");
	}
	if (a->same)
		eval_same(e, r, "sha256", "sha256");
}

static json_t *lock(const struct step *s, const json_t *value)
{
	(void)s;
	const char *hex = fact_str(value, "sha256");
	return hex ? json_pack("{s:s}", "sha256", hex) : NULL;
}

const struct step_kind artifact_kind = {
	.name = "artifact",
	.summary = "Hash a file or a directory in each environment (stage artifact). A "
		   "directory's digest is sha256 over the sorted `<sha256>  <relative "
		   "path>` lines of its regular files.",
	.default_stage = STAGE_ARTIFACT,
	.keys = kind_keys,
	.parse = parse,
	.gather = gather,
	.evaluate = evaluate,
	.lock = lock,
};
