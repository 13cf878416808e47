/* Unit tests for the contract loader: YAML to nodes (node typing, aliases,
 * documents, encoding), contract validation with its exact error texts,
 * variable precedence, interpolation and secrets, and the matchers. YAML
 * texts are parsed from memory; contracts are written to a temporary
 * folder, which is the working directory while the tests run. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/matcher.h"
#include "load/contract.h"
#include "steps/bind.h"
#include "load/interp.h"
#include "load/node.h"
#include "util/diag.h"
#include "util/secret.h"
#include "util/xalloc.h"

static char tmpdir[64];
static char olddir[PATH_MAX];

static int setup(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/parity-load-XXXXXX");
	if (!mkdtemp(tmpdir) || !getcwd(olddir, sizeof olddir) || chdir(tmpdir) < 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (chdir(olddir) < 0)
		return -1;
	char *cmd = xasprintf("rm -rf '%s'", tmpdir);
	int rc = system(cmd);
	free(cmd);
	return rc == 0 ? 0 : -1;
}

/* Writes text to rel in the temporary folder (the working directory). */
static void write_file(const char *rel, const char *text)
{
	int fd = open(rel, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	size_t len = strlen(text);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
}

/* Loads the contract text saved as contract.yaml; returns contract_load's
 * status. c and d must be released by the caller. */
static int load_text(const char *text, const char *const *overrides, struct contract *c,
		     struct diag *d)
{
	struct load_opts o = {overrides, false};

	write_file("contract.yaml", text);
	diag_init(d);
	return contract_open(c, "contract.yaml", &o, d);
}

/* Asserts that loading text fails with exactly the diagnostics want. */
static void assert_load_error(const char *text, const char *want)
{
	struct contract c;
	struct diag d;

	assert_int_equal(load_text(text, NULL, &c, &d), -1);
	assert_string_equal(d.text.data, want);
	contract_release(&c);
	diag_release(&d);
}

/* Asserts that parsing text as t.yaml fails with exactly the diagnostics want. */
static void assert_parse_error(const char *text, size_t len, const char *want)
{
	struct node_doc doc;
	struct diag d;

	diag_init(&d);
	assert_int_equal(node_parse(&doc, "t.yaml", text, len, &d), -1);
	assert_string_equal(d.text.data, want);
	assert_int_equal(d.errors, 1);
	node_doc_release(&doc);
	diag_release(&d);
}

/* The first line of the diagnostics (owned by the caller). */
static char *first_line(const struct diag *d)
{
	const char *nl = strchr(d->text.data, '\n');
	return xstrndup(d->text.data, nl ? (size_t)(nl - d->text.data) : d->text.len);
}

static void test_unknown_key_suggestion(void **state)
{
	(void)state;
	assert_load_error(
		"parity: 1\n"
		"name: t\n"
		"environments: {s: {}}\n"
		"steps:\n"
		"  - id: m\n"
		"    artifact: {path: x, sha265: abc}\n",
		"contract.yaml:6:25: error: unknown key 'sha265' in artifact step 'm' (did you mean 'sha256'?)\n"
		" 6 |     artifact: {path: x, sha265: abc}\n"
		"   |                         ^\n");
	/* At the top level, and without a close candidate: the known keys. */
	assert_load_error(
		"parity: 1\n"
		"name: t\n"
		"enviroments: {s: {}}\n"
		"environments: {s: {}}\n"
		"steps: [{id: m, artifact: {path: x}}]\n"
		"zzz: 1\n",
		"contract.yaml:3:1: error: unknown key 'enviroments' at the top level (did you mean 'environments'?)\n"
		" 3 | enviroments: {s: {}}\n"
		"   | ^\n"
		"contract.yaml:6:1: error: unknown key 'zzz' at the top level (known keys: parity, name, "
		"description, include, vars, baseline, defaults, environments, steps, waivers, lock)\n"
		" 6 | zzz: 1\n"
		"   | ^\n");
}

static void test_wrong_type(void **state)
{
	(void)state;
	assert_load_error(
		"parity: 1\n"
		"name: t\n"
		"defaults: {retries: x}\n"
		"environments: [s]\n"
		"steps: [{id: m, artifact: {path: x, same: maybe}}]\n",
		"contract.yaml:3:21: error: 'retries' must be a non-negative integer, got string x\n"
		" 3 | defaults: {retries: x}\n"
		"   |                     ^\n"
		"contract.yaml:4:15: error: 'environments' must be a mapping, got sequence\n"
		" 4 | environments: [s]\n"
		"   |               ^\n"
		"contract.yaml:5:43: error: 'same' must be true or false, got string\n"
		" 5 | steps: [{id: m, artifact: {path: x, same: maybe}}]\n"
		"   |                                           ^\n");
	/* 'parity' wants the number 1. */
	assert_load_error(
		"parity: [1]\n"
		"name: t\n"
		"environments: {s: {}}\n"
		"steps: [{id: m, artifact: {path: x}}]\n",
		"contract.yaml:1:9: error: unsupported contract format 'parity: sequence': this runner "
		"reads format 1\n"
		" 1 | parity: [1]\n"
		"   |         ^\n");
}

static void test_duplicate_key(void **state)
{
	const char *text = "parity: 1\nname: a\nsteps: []\nname: b\n";

	(void)state;
	assert_parse_error(text, strlen(text),
			   "t.yaml:4:1: error: duplicate key 'name' (first defined at line 2)\n"
			   " 4 | name: b\n"
			   "   | ^\n");
	/* Nested mappings too, flow style included. */
	text = "a: {x: 1, y: 2, x: 3}\n";
	assert_parse_error(text, strlen(text),
			   "t.yaml:1:17: error: duplicate key 'x' (first defined at line 1)\n"
			   " 1 | a: {x: 1, y: 2, x: 3}\n"
			   "   |                 ^\n");
}

static void test_duplicate_step_id(void **state)
{
	(void)state;
	assert_load_error(
		"parity: 1\n"
		"name: t\n"
		"environments: {s: {}}\n"
		"steps:\n"
		"  - {id: a, command: {run: [x]}}\n"
		"  - {id: b, command: {run: [y]}}\n"
		"  - {id: a, artifact: {path: z}}\n",
		"contract.yaml:7:10: error: duplicate step id 'a' (first used at contract.yaml:5)\n"
		" 7 |   - {id: a, artifact: {path: z}}\n"
		"   |          ^\n");
}

static void test_undefined_var(void **state)
{
	(void)state;
	assert_load_error(
		"parity: 1\n"
		"name: t\n"
		"vars: {model_dir: /models}\n"
		"environments: {s: {}}\n"
		"steps:\n"
		"  - id: m\n"
		"    artifact: {path: \"${vars.modle_dir}/m.bin\"}\n"
		"  - id: n\n"
		"    artifact: {path: \"${vars.zzzzzz}/m.bin\"}\n",
		"contract.yaml:7:22: error: undefined variable 'modle_dir' in '${vars.modle_dir}' "
		"(did you mean 'model_dir'?)\n"
		" 7 |     artifact: {path: \"${vars.modle_dir}/m.bin\"}\n"
		"   |                      ^\n"
		"contract.yaml:9:22: error: undefined variable 'zzzzzz' in '${vars.zzzzzz}': define it "
		"under 'vars:'\n"
		" 9 |     artifact: {path: \"${vars.zzzzzz}/m.bin\"}\n"
		"   |                      ^\n");
}

static void test_unset_env_var(void **state)
{
	(void)state;
	unsetenv("PARITY_TEST_NOT_SET");
	assert_load_error(
		"parity: 1\n"
		"name: t\n"
		"environments: {s: {}}\n"
		"steps:\n"
		"  - {id: m, command: {run: [echo, \"${env.PARITY_TEST_NOT_SET}\"]}}\n",
		"contract.yaml:5:35: error: environment variable 'PARITY_TEST_NOT_SET' is not set "
		"(referenced as '${env.PARITY_TEST_NOT_SET}'): export it before running parity\n"
		" 5 |   - {id: m, command: {run: [echo, \"${env.PARITY_TEST_NOT_SET}\"]}}\n"
		"   |                                   ^\n");
}

static void test_bad_duration(void **state)
{
	(void)state;
	assert_load_error(
		"parity: 1\n"
		"name: t\n"
		"defaults: {timeout: 5 minutes}\n"
		"environments: {s: {}}\n"
		"steps:\n"
		"  - {id: a, command: {run: [x]}, timeout: 10q}\n"
		"  - {id: b, command: {run: [x]}, timeout: 0s}\n",
		"contract.yaml:3:21: error: malformed duration '5 minutes' for 'timeout': write a number "
		"and a unit, like 500ms, 30s or 5m\n"
		" 3 | defaults: {timeout: 5 minutes}\n"
		"   |                     ^\n"
		"contract.yaml:6:43: error: malformed duration '10q' for 'timeout': write a number and a "
		"unit, like 500ms, 30s or 5m\n"
		" 6 |   - {id: a, command: {run: [x]}, timeout: 10q}\n"
		"   |                                           ^\n"
		"contract.yaml:7:43: error: 'timeout' must be greater than zero\n"
		" 7 |   - {id: b, command: {run: [x]}, timeout: 0s}\n"
		"   |                                           ^\n");
}

static void test_include_cycle(void **state)
{
	(void)state;
	write_file("a.yaml", "include: b.yaml\nsteps:\n  - {id: y, command: {run: [\"true\"]}}\n");
	write_file("b.yaml", "include: [a.yaml]\n");
	assert_load_error(
		"parity: 1\n"
		"name: cycle\n"
		"include: [a.yaml]\n"
		"environments: {staging: {}}\n"
		"steps:\n"
		"  - {id: x, command: {run: [\"true\"]}}\n",
		"b.yaml:1:11: error: include cycle: 'a.yaml' includes itself (through 2 files)\n"
		" 1 | include: [a.yaml]\n"
		"   |           ^\n");
	/* A contract that includes itself. */
	assert_load_error(
		"parity: 1\n"
		"name: self\n"
		"include: contract.yaml\n"
		"environments: {staging: {}}\n"
		"steps: [{id: x, command: {run: [\"true\"]}}]\n",
		"contract.yaml:3:10: error: include cycle: 'contract.yaml' includes itself (through 1 file)\n"
		" 3 | include: contract.yaml\n"
		"   |          ^\n");
}

static void test_alias_bomb_bounded(void **state)
{
	const char *bomb =
		"parity: 1\n"
		"name: bomb\n"
		"environments: {staging: {}}\n"
		"a: &a [\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\"]\n"
		"b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
		"c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
		"d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
		"e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
		"f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
		"g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
		"h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]\n";

	(void)state;
	assert_parse_error(bomb, strlen(bomb),
			   "t.yaml:8:29: error: document too large: more than 100000 nodes once aliases "
			   "are expanded (aliases that expand exponentially are refused)\n"
			   " 8 | e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
			   "   |                             ^\n");

	/* A small alias shares the anchored node and counts its size. */
	const char *ok = "a: &x [1, 2]\nb: *x\n";
	struct node_doc doc;
	struct diag d;
	diag_init(&d);
	assert_int_equal(node_parse(&doc, "t.yaml", ok, strlen(ok), &d), 0);
	assert_int_equal(d.errors, 0);
	assert_ptr_equal(node_get(doc.root, "a"), node_get(doc.root, "b"));
	assert_int_equal(node_get(doc.root, "b")->size, 3);
	node_doc_release(&doc);

	const char *unknown = "a: *nope\n";
	diag_release(&d);
	assert_parse_error(unknown, strlen(unknown),
			   "t.yaml:1:4: error: unknown alias '*nope'\n"
			   " 1 | a: *nope\n"
			   "   |    ^\n");
}

static void test_multiple_documents(void **state)
{
	const char *two = "a: 1\n---\nb: 2\n";

	(void)state;
	assert_parse_error(two, strlen(two),
			   "t.yaml:2:1: error: more than one YAML document: a contract is one document "
			   "(remove the '---' separator)\n"
			   " 2 | ---\n"
			   "   | ^\n");

	/* One explicit document, with its end marker, is fine. */
	const char *one = "---\na: 1\n...\n";
	struct node_doc doc;
	struct diag d;
	diag_init(&d);
	assert_int_equal(node_parse(&doc, "t.yaml", one, strlen(one), &d), 0);
	assert_string_equal(node_get(doc.root, "a")->str, "1");
	node_doc_release(&doc);

	/* An empty text is an empty document. */
	assert_int_equal(node_parse(&doc, "t.yaml", "", 0, &d), 0);
	assert_null(doc.root);
	assert_int_equal(d.errors, 0);
	node_doc_release(&doc);
	diag_release(&d);
}

static void test_tab_indent(void **state)
{
	const char *text = "parity: 1\nname: t\nenvironments:\n\ts: {}\n";
	struct node_doc doc;
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_int_equal(node_parse(&doc, "t.yaml", text, strlen(text), &d), -1);
	assert_int_equal(d.errors, 1);
	/* libyaml's wording is its own; the place and the prefix are ours. */
	assert_true(strncmp(d.text.data, "t.yaml:4:1: error: invalid YAML: ", 33) == 0);
	/* The quoted line keeps the tab, so that the caret lines up. */
	assert_non_null(strstr(d.text.data, "\n 4 | \ts: {}\n   | ^\n"));
	node_doc_release(&doc);
	diag_release(&d);
}

static void test_invalid_utf8(void **state)
{
	const char *text = "parity: 1\nname: x\ndescription: caf\xe9 menu\n";
	const char nul[] = "a: 1\nb: x\0y\n";

	(void)state;
	assert_parse_error(text, strlen(text),
			   "t.yaml:3:17: error: invalid UTF-8 (byte 0xe9 at offset 34): save the file "
			   "as UTF-8\n"
			   " 3 | description: caf\xe9 menu\n"
			   "   |                 ^\n");
	/* An overlong encoding of '/' is invalid too. */
	text = "a: \xc0\xaf\n";
	assert_parse_error(text, strlen(text),
			   "t.yaml:1:4: error: invalid UTF-8 (byte 0xc0 at offset 3): save the file "
			   "as UTF-8\n"
			   " 1 | a: \xc0\xaf\n"
			   "   |    ^\n");
	/* Only the first line: the quoted source line holds the NUL itself. */
	struct node_doc doc;
	struct diag d;
	diag_init(&d);
	assert_int_equal(node_parse(&doc, "t.yaml", nul, sizeof nul - 1, &d), -1);
	char *line = first_line(&d);
	assert_string_equal(line, "t.yaml:2:5: error: NUL byte in a text file");
	free(line);
	node_doc_release(&doc);
	diag_release(&d);
}

static void test_vars_precedence(void **state)
{
	static const char *const overrides[] = {"c=cli", "new=fromcli", NULL};
	struct contract c;
	struct diag d;

	(void)state;
	write_file("frag.yaml", "vars: {a: frag, b: frag, c: frag}\n");
	assert_int_equal(load_text(
		"parity: 1\n"
		"name: t\n"
		"include: frag.yaml\n"
		"vars: {b: contract, c: contract, ref: \"${vars.a}-${vars.new}\"}\n"
		"environments:\n"
		"  one: {vars: {b: env, d: \"${vars.b}+\", e: \"${vars.c}+\"}}\n"
		"  two: {}\n"
		"  three:\n"
		"steps: [{id: m, artifact: {path: \"${vars.d}\"}, only: [one]}]\n",
		overrides, &c, &d), 0);
	assert_string_equal(d.text.data, "");

	/* --var beats the contract's vars, which beat the fragment's. */
	assert_string_equal(vars_get(&c.vars, "a"), "frag");
	assert_string_equal(vars_get(&c.vars, "b"), "contract");
	assert_string_equal(vars_get(&c.vars, "c"), "cli");
	assert_string_equal(vars_get(&c.vars, "new"), "fromcli");
	/* vars see the --var values while they are expanded */
	assert_string_equal(vars_get(&c.vars, "ref"), "frag-fromcli");
	assert_null(vars_get(&c.vars, "d"));

	/* An environment's vars override the contract's there, and only there. */
	assert_int_equal(c.n_envs, 3);
	assert_string_equal(c.envs[0].name, "one");
	assert_string_equal(vars_get(&c.envs[0].vars, "b"), "env");
	/* an environment's vars are expanded with the contract's (and --var) */
	assert_string_equal(vars_get(&c.envs[0].vars, "d"), "contract+");
	assert_string_equal(vars_get(&c.envs[0].vars, "e"), "cli+");
	assert_string_equal(vars_get(&c.envs[0].vars, "a"), "frag");
	assert_string_equal(vars_get(&c.envs[0].vars, "c"), "cli");
	assert_string_equal(vars_get(&c.envs[1].vars, "b"), "contract");
	assert_null(vars_get(&c.envs[1].vars, "d"));
	assert_string_equal(vars_get(&c.envs[2].vars, "b"), "contract");
	assert_string_equal(vars_get(&c.envs[2].vars, "c"), "cli");
	contract_release(&c);
	diag_release(&d);

	/* A var only one environment defines: steps in the others cannot use it. */
	assert_load_error(
		"parity: 1\n"
		"name: t\n"
		"environments:\n"
		"  one: {vars: {d: x}}\n"
		"  two: {}\n"
		"steps: [{id: m, artifact: {path: \"${vars.d}\"}}]\n",
		"contract.yaml:6:34: error: undefined variable 'd' in '${vars.d}': define it under 'vars:'\n"
		" 6 | steps: [{id: m, artifact: {path: \"${vars.d}\"}}]\n"
		"   |                                  ^\n");
}

static void test_interp_string(void **state)
{
	struct vars vs = {0};
	struct interp_ctx ctx = {&vs, "staging", NULL};
	struct interp_ctx no_env = {&vs, NULL, "a variable's value"};
	char *err = NULL, *s;

	(void)state;
	vars_set(&vs, "models", "/m");
	s = interp_string(&ctx, "${environment}:${vars.models}/x", &err);
	assert_string_equal(s, "staging:/m/x");
	assert_null(err);
	free(s);

	/* $${ is a literal ${, and what follows it is not a reference. */
	s = interp_string(&ctx, "$${vars.models} $$ $x ${vars.models}$", &err);
	assert_string_equal(s, "${vars.models} $$ $x /m$");
	free(s);
	assert_false(interp_has_refs("plain $text"));
	assert_true(interp_has_refs("$${literal}"));

	assert_null(interp_string(&no_env, "${environment}", &err));
	assert_string_equal(err, "'${environment}' cannot be used in a variable's value: it is the "
			    "same for every environment");
	free(err);
	err = NULL;
	assert_null(interp_string(&ctx, "a ${vars.models", &err));
	assert_string_equal(err, "unterminated '${' in 'a ${vars.models': close it with '}' "
			    "(write '$${' for a literal '${')");
	free(err);
	err = NULL;
	assert_null(interp_string(&ctx, "${vars.model}", &err));
	assert_string_equal(err, "undefined variable 'model' in '${vars.model}' (did you mean "
			    "'models'?)");
	free(err);
	err = NULL;
	assert_null(interp_string(&ctx, "${var.models}", &err));
	assert_string_equal(err, "unknown reference '${var.models}' (did you mean "
			    "'${vars.models}'?)");
	free(err);
	err = NULL;
	assert_null(interp_string(&ctx, "${zzzzzz.models}", &err));
	assert_string_equal(err, "unknown reference '${zzzzzz.models}': use ${vars.NAME}, "
			    "${env.NAME} or ${environment}");
	free(err);
	/* err may be NULL to stay quiet */
	assert_null(interp_string(&ctx, "${var.models}", NULL));
	/* Anything else is the shell's, kept as it is. */
	s = interp_string(&ctx, "${HOME} ${X:-1} ${1.5}", &err);
	assert_string_equal(s, "${HOME} ${X:-1} ${1.5}");
	free(s);

	free(vs.v[0].name);
	free(vs.v[0].value);
	free(vs.v);

	/* ${environment} is refused in contract vars, where it has no value. */
	assert_load_error(
		"parity: 1\n"
		"name: t\n"
		"vars: {where: \"${environment}\"}\n"
		"environments: {s: {}}\n"
		"steps: [{id: m, artifact: {path: x}}]\n",
		"contract.yaml:3:15: error: '${environment}' cannot be used in a variable's value: it is "
		"the same for every environment\n"
		" 3 | vars: {where: \"${environment}\"}\n"
		"   |               ^\n");
}

static void test_secrets_registered(void **state)
{
	struct contract c;
	struct diag d;

	(void)state;
	secret_clear();
	setenv("PARITY_TEST_TOKEN", "s3cr3t-value", 1);
	setenv("PARITY_TEST_PLAIN", "visible", 1);
	char *m = secret_mask("token s3cr3t-value");
	assert_string_equal(m, "token s3cr3t-value");
	free(m);
	assert_int_equal(load_text(
		"parity: 1\n"
		"name: t\n"
		"vars: {plain: \"${vars.p}\", p: x}\n"
		"environments:\n"
		"  s: {headers: {Authorization: \"Bearer ${env.PARITY_TEST_TOKEN}\"}}\n"
		"steps: [{id: m, command: {run: [echo, \"$${env.PARITY_TEST_PLAIN}\"]}}]\n",
		NULL, &c, &d), -1);
	/* vars are expanded in order: p is not defined yet where plain uses it */
	assert_non_null(strstr(d.text.data, "undefined variable 'p' in '${vars.p}'"));
	contract_release(&c);
	diag_release(&d);

	assert_int_equal(load_text(
		"parity: 1\n"
		"name: t\n"
		"environments:\n"
		"  s: {headers: {Authorization: \"Bearer ${env.PARITY_TEST_TOKEN}\"}}\n"
		"steps: [{id: m, command: {run: [echo, \"$${env.PARITY_TEST_PLAIN}\"]}}]\n",
		NULL, &c, &d), 0);
	assert_string_equal(c.envs[0].headers[0].value, "Bearer s3cr3t-value");
	m = secret_mask("Authorization: Bearer s3cr3t-value; visible");
	/* the literal $${env.X} is not a reference: its variable is no secret */
	assert_string_equal(m, "Authorization: Bearer ***; visible");
	free(m);
	contract_release(&c);
	diag_release(&d);
	secret_clear();
	unsetenv("PARITY_TEST_TOKEN");
	unsetenv("PARITY_TEST_PLAIN");
}

/* The node of key in a parsed one-line-per-key mapping. */
static const struct node *key(const struct node_doc *doc, const char *k)
{
	const struct node *n = node_get(doc->root, k);
	assert_non_null(n);
	return n;
}

static void test_node_typing(void **state)
{
	const char *text =
		"tilde: ~\n"
		"null_: null\n"
		"Null_: Null\n"
		"NULL_: NULL\n"
		"empty:\n"
		"quoted_null: \"null\"\n"
		"t: true\n"
		"T: True\n"
		"TT: TRUE\n"
		"f: false\n"
		"yes_: yes\n"
		"on_: on\n"
		"quoted_true: 'true'\n"
		"int: 42\n"
		"neg: -7\n"
		"plus: +3\n"
		"hex: 0x1F\n"
		"oct: 0o17\n"
		"under: 1_000\n"
		"float: 1.0\n"
		"exp: 1e3\n"
		"dot: .5\n"
		"inf: .inf\n"
		"ninf: -.inf\n"
		"nan: .nan\n"
		"word_inf: inf\n"
		"ver: 1.2.3\n"
		"quoted_num: \"1\"\n"
		"tagged: !!str 5\n"
		"seq: [1]\n"
		"map: {a: 1}\n";
	struct node_doc doc;
	struct diag d;
	bool b;
	long l;
	double x;

	(void)state;
	diag_init(&d);
	assert_int_equal(node_parse(&doc, "t.yaml", text, strlen(text), &d), 0);

	static const struct {
		const char *key, *type;
	} types[] = {
		{"tilde", "null"}, {"null_", "null"}, {"Null_", "null"}, {"NULL_", "null"},
		{"empty", "null"}, {"quoted_null", "string"}, {"t", "boolean"}, {"T", "boolean"},
		{"TT", "boolean"}, {"f", "boolean"}, {"yes_", "string"}, {"on_", "string"},
		{"quoted_true", "string"}, {"int", "integer"}, {"neg", "integer"},
		{"plus", "integer"},
		/* YAML 1.2's core schema reads 0x1F and 0o17 as integers; the loader
		 * does not: they are strings (and never numbers) here. */
		{"hex", "string"}, {"oct", "string"}, {"under", "string"},
		{"float", "number"}, {"exp", "number"}, {"dot", "number"}, {"inf", "number"},
		{"ninf", "number"}, {"nan", "number"}, {"word_inf", "string"}, {"ver", "string"},
		{"quoted_num", "string"}, {"tagged", "string"}, {"seq", "sequence"},
		{"map", "mapping"},
	};
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
		const char *got = node_type_name(key(&doc, types[i].key));
		if (strcmp(got, types[i].type))
			fail_msg("'%s': %s, expected %s", types[i].key, got, types[i].type);
	}
	assert_string_equal(node_type_name(NULL), "null");

	assert_true(node_is_null(NULL));
	assert_true(node_is_null(key(&doc, "tilde")));
	assert_true(node_is_null(key(&doc, "empty")));
	assert_false(node_is_null(key(&doc, "quoted_null")));
	assert_false(node_is_null(key(&doc, "seq")));
	assert_false(node_is_string(key(&doc, "tilde")));
	assert_true(node_is_string(key(&doc, "quoted_num")));
	assert_true(node_is_string(key(&doc, "hex")));
	assert_false(node_is_string(key(&doc, "int")));
	assert_false(node_is_string(key(&doc, "map")));

	assert_int_equal(node_bool(key(&doc, "T"), &b), 0);
	assert_true(b);
	assert_int_equal(node_bool(key(&doc, "f"), &b), 0);
	assert_false(b);
	assert_int_equal(node_bool(key(&doc, "quoted_true"), &b), -1);
	assert_int_equal(node_bool(key(&doc, "yes_"), &b), -1);

	assert_int_equal(node_long(key(&doc, "neg"), &l), 0);
	assert_int_equal(l, -7);
	assert_int_equal(node_long(key(&doc, "plus"), &l), 0);
	assert_int_equal(l, 3);
	assert_int_equal(node_long(key(&doc, "hex"), &l), -1);
	assert_int_equal(node_long(key(&doc, "float"), &l), -1);
	assert_int_equal(node_long(key(&doc, "quoted_num"), &l), -1);
	assert_int_equal(node_long(key(&doc, "empty"), &l), -1);

	assert_int_equal(node_double(key(&doc, "int"), &x), 0);
	assert_true(x == 42.0);
	assert_int_equal(node_double(key(&doc, "exp"), &x), 0);
	assert_true(x == 1000.0);
	assert_int_equal(node_double(key(&doc, "dot"), &x), 0);
	assert_true(x == 0.5);
	assert_int_equal(node_double(key(&doc, "ninf"), &x), 0);
	assert_true(isinf(x) && x < 0);
	assert_int_equal(node_double(key(&doc, "nan"), &x), 0);
	assert_true(isnan(x));
	assert_int_equal(node_double(key(&doc, "word_inf"), &x), -1);
	assert_int_equal(node_double(key(&doc, "hex"), &x), -1);
	assert_int_equal(node_double(key(&doc, "ver"), &x), -1);

	/* Marks are 1-based; a mapping's length counts entries. */
	assert_int_equal(key(&doc, "int")->mark.line, 14);
	assert_int_equal(key(&doc, "int")->mark.col, 6);
	assert_int_equal(node_map_len(doc.root), 31);
	assert_int_equal(node_map_len(key(&doc, "seq")), 0);
	node_doc_release(&doc);

	/* Only !!str tags are accepted. */
	const char *tag = "a: !!int 5\n";
	diag_release(&d);
	assert_parse_error(tag, strlen(tag),
			   "t.yaml:1:4: error: YAML tag 'tag:yaml.org,2002:int' is not supported (only "
			   "!!str)\n"
			   " 1 | a: !!int 5\n"
			   "   |    ^\n");
}

/* Parses the matcher under key m of text; NULL with diagnostics in d. */
static struct matcher *parse_matcher(const char *text, struct node_doc *doc, struct diag *d)
{
	static struct vars vs;
	struct interp_ctx ctx = {&vs, NULL, "a pinned value"};

	diag_init(d);
	assert_int_equal(node_parse(doc, "m.yaml", text, strlen(text), d), 0);
	return matcher_parse(node_get(doc->root, "m"), &ctx, d);
}

/* The description of the matcher in text (owned by the caller). */
static char *describe(const char *text)
{
	struct node_doc doc;
	struct diag d;
	struct matcher *m = parse_matcher(text, &doc, &d);

	assert_non_null(m);
	char *s = matcher_describe(m);
	matcher_free(m);
	node_doc_release(&doc);
	diag_release(&d);
	return s;
}

/* Whether the matcher in text accepts actual; *why as matcher_test sets it. */
static int test_one(const char *text, const char *actual, char **why)
{
	struct node_doc doc;
	struct diag d;
	struct matcher *m = parse_matcher(text, &doc, &d);

	assert_non_null(m);
	int r = matcher_test(m, actual, why);
	matcher_free(m);
	node_doc_release(&doc);
	diag_release(&d);
	return r;
}

static void test_matcher_exact(void **state)
{
	char sentinel = 0;
	char *why = &sentinel;

	(void)state;
	assert_int_equal(test_one("m: \"1.2.2\"\n", "1.2.2", &why), 1);
	assert_null(why);
	assert_int_equal(test_one("m: \"1.2.2\"\n", "1.2.20", &why), 0);
	assert_int_equal(test_one("m: hello\n", "hello\n", NULL), 0);
	/* A YAML number compares as a number, a quoted one as text. */
	assert_int_equal(test_one("m: 1.0\n", "1", NULL), 1);
	assert_int_equal(test_one("m: 1.0\n", " 1e0\n", NULL), 1);
	assert_int_equal(test_one("m: 1\n", "1.5", NULL), 0);
	assert_int_equal(test_one("m: 1\n", "one", NULL), 0);
	assert_int_equal(test_one("m: \"1.0\"\n", "1", NULL), 0);
	assert_int_equal(test_one("m: \"1.0\"\n", "1.0", NULL), 1);
	/* Booleans are text. */
	assert_int_equal(test_one("m: true\n", "true", NULL), 1);
	assert_int_equal(test_one("m: true\n", "True", NULL), 0);

	struct matcher *e = matcher_exact("abc");
	assert_int_equal(matcher_test(e, "abc", NULL), 1);
	assert_int_equal(matcher_test(e, "abd", NULL), 0);
	matcher_free(e);
	matcher_free(NULL);
}

static void test_matcher_regex(void **state)
{
	(void)state;
	/* Unanchored unless the pattern anchors. */
	assert_int_equal(test_one("m: {regex: \"1\\\\.2\"}\n", "v1.2.3", NULL), 1);
	assert_int_equal(test_one("m: {regex: \"^1\\\\.2\"}\n", "v1.2.3", NULL), 0);
	assert_int_equal(test_one("m: {regex: \"^1\\\\.2\"}\n", "1.2.3", NULL), 1);
	assert_int_equal(test_one("m: {regex: \"^1\\\\.2$\"}\n", "1.2.3", NULL), 0);
	assert_int_equal(test_one("m: {regex: \"1\\\\.2\"}\n", "1x2", NULL), 0);
	assert_int_equal(test_one("m: {regex: 'b+'}\n", "abbbc", NULL), 1);
}

static void test_matcher_range(void **state)
{
	char *why = NULL;

	(void)state;
	assert_int_equal(test_one("m: {min: 1, max: 2}\n", "1", NULL), 1);
	assert_int_equal(test_one("m: {min: 1, max: 2}\n", "2.0", NULL), 1);
	assert_int_equal(test_one("m: {min: 1, max: 2}\n", "2.0001", NULL), 0);
	assert_int_equal(test_one("m: {min: 1, max: 2}\n", " 1.5\n", NULL), 1);
	assert_int_equal(test_one("m: {min: 1}\n", "1e9", NULL), 1);
	assert_int_equal(test_one("m: {max: -1}\n", "0", NULL), 0);

	/* A value that is not a number does not match, and says why. */
	assert_int_equal(test_one("m: {min: 1}\n", "abc", &why), 0);
	assert_string_equal(why, "'abc' is not a number");
	free(why);
	assert_int_equal(test_one("m: {min: 1}\n", "", &why), 0);
	assert_string_equal(why, "'' is not a number");
	free(why);
	assert_int_equal(test_one("m: {min: 1}\n", "5 apples", &why), 0);
	assert_string_equal(why, "'5 apples' is not a number");
	free(why);
	assert_int_equal(test_one("m: {max: 10}\n", "nan", &why), 0);
	assert_string_equal(why, "'nan' is not a number");
	free(why);
	assert_int_equal(test_one("m: {max: 10}\n", "1e999", &why), 0);
	assert_string_equal(why, "'1e999' is not a number");
	free(why);

	/* Bounds that are not numbers are load errors. */
	struct node_doc doc;
	struct diag d;
	assert_null(parse_matcher("m: {min: one, max: \"2\"}\n", &doc, &d));
	assert_string_equal(d.text.data,
			    "m.yaml:1:10: error: 'min' must be a number, got string\n"
			    " 1 | m: {min: one, max: \"2\"}\n"
			    "   |          ^\n"
			    "m.yaml:1:20: error: 'max' must be a number, got string\n"
			    " 1 | m: {min: one, max: \"2\"}\n"
			    "   |                    ^\n");
	node_doc_release(&doc);
	diag_release(&d);
	assert_null(parse_matcher("m: {min: 3, max: 2}\n", &doc, &d));
	assert_string_equal(d.text.data,
			    "m.yaml:1:4: error: empty range: min 3 is greater than max 2\n"
			    " 1 | m: {min: 3, max: 2}\n"
			    "   |    ^\n");
	node_doc_release(&doc);
	diag_release(&d);
}

static void test_matcher_one_of(void **state)
{
	const char *m = "m: {one_of: [batch, {regex: \"^online\"}, 3, {min: 10, max: 20}]}\n";

	(void)state;
	assert_int_equal(test_one(m, "batch", NULL), 1);
	assert_int_equal(test_one(m, "online-v2", NULL), 1);
	assert_int_equal(test_one(m, "3.0", NULL), 1);
	assert_int_equal(test_one(m, "15", NULL), 1);
	assert_int_equal(test_one(m, "Batch", NULL), 0);
	assert_int_equal(test_one(m, "9", NULL), 0);

	struct node_doc doc;
	struct diag d;
	assert_null(parse_matcher("m: {one_of: []}\n", &doc, &d));
	assert_string_equal(d.text.data,
			    "m.yaml:1:13: error: 'one_of' must be a non-empty list of values, got "
			    "sequence\n"
			    " 1 | m: {one_of: []}\n"
			    "   |             ^\n");
	node_doc_release(&doc);
	diag_release(&d);
	assert_null(parse_matcher("m: {regx: a}\n", &doc, &d));
	assert_string_equal(d.text.data,
			    "m.yaml:1:5: error: unknown matcher 'regx' (did you mean 'regex'?)\n"
			    " 1 | m: {regx: a}\n"
			    "   |     ^\n");
	node_doc_release(&doc);
	diag_release(&d);
}

static void test_matcher_describe(void **state)
{
	static const struct {
		const char *yaml, *want;
	} cases[] = {
		{"m: \"1.2.2\"\n", "\"1.2.2\""},
		{"m: 1.0\n", "1.0"},
		{"m: \"1.0\"\n", "\"1.0\""},
		{"m: {regex: \"^1\\\\.2\\\\.\"}\n", "matches /^1\\.2\\./"},
		{"m: {min: 1, max: 2}\n", ">= 1 and <= 2"},
		{"m: {max: 2.5, min: 0.5}\n", ">= 0.5 and <= 2.5"},
		{"m: {min: 1}\n", ">= 1"},
		{"m: {max: 1e3}\n", "<= 1000"},
		{"m: {one_of: [a, 2, {regex: b}, {one_of: [c]}]}\n",
		 "one of [\"a\", 2, matches /b/, one of [\"c\"]]"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *s = describe(cases[i].yaml);
		if (strcmp(s, cases[i].want))
			fail_msg("%s: described as '%s', expected '%s'", cases[i].yaml, s,
				 cases[i].want);
		free(s);
	}
	struct matcher *e = matcher_exact("x y");
	char *s = matcher_describe(e);
	assert_string_equal(s, "\"x y\"");
	free(s);
	matcher_free(e);
}

/* A long source line is quoted as a window around the caret, its cut ends
 * marked "…", the caret under the same character (issue 9). */
static void test_long_line_window(void **state)
{
	struct source src;
	struct diag d;
	struct buf line;

	(void)state;
	buf_init(&line);
	buf_puts(&line, "  - {id: a, description: \"");
	for (int i = 0; i < 200000; i++)
		buf_putc(&line, 'x');
	buf_puts(&line, "\", bogus: 1, tail: \"");
	for (int i = 0; i < 300; i++)
		buf_puts(&line, "\xC3\xA9");             /* é: two bytes, one column */
	buf_puts(&line, "\"}\n");
	src.path = (char *)(uintptr_t)"long.yaml";
	src.text = line.data;
	src.len = line.len;
	int col = (int)(strstr(line.data, "bogus") - line.data) + 1;
	struct mark m = {&src, 1, col};
	diag_init(&d);
	diag_at(&d, &m, "unknown key 'bogus'");
	/* the window: 60 characters before the caret ('", ' and 57 x), 160 in all */
	struct buf tail;
	buf_init(&tail);
	for (int i = 0; i < 160 - 60 - 17; i++)
		buf_puts(&tail, "\xC3\xA9");
	char *want = xasprintf("long.yaml:1:%d: error: unknown key 'bogus'\n"
			       " 1 | …%.*s\", bogus: 1, tail: \"%s…\n"
			       "   |  %*s^\n",
			       col, 57, line.data + col - 1 - 60, tail.data, 60, "");
	assert_string_equal(d.text.data, want);
	assert_true(d.text.len < 1000);
	free(want);
	buf_release(&tail);
	diag_release(&d);

	/* the caret at the end of the line: the window ends there, uncut */
	m.col = (int)strlen("  - {id: a, description: \"") + 200000 + 1;
	line.data[m.col - 1] = '\0';
	src.len = (size_t)m.col - 1;
	diag_init(&d);
	diag_at(&d, &m, "end");
	want = xasprintf("long.yaml:1:%d: error: end\n"
			 " 1 | …%.*s\n"
			 "   |  %*s^\n", m.col, 160, line.data + src.len - 160, 160, "");
	assert_string_equal(d.text.data, want);
	free(want);
	diag_release(&d);
	buf_release(&line);
}

/* --var names a variable the contract defines or refers to, and what is
 * defined from it sees its value (issue 9). */
static void test_var_overrides_checked(void **state)
{
	static const char *const typo[] = {"urll=b", "port=81", NULL};
	static const char *const bad[] = {"bad name=1", "port=81", NULL};
	static const char *const set[] = {"url=b", "port=81", NULL};
	static const char *const contract =
		"parity: 1\n"
		"name: t\n"
		"vars: {url: a, full: \"${vars.url}/x\"}\n"
		"environments:\n"
		"  one: {vars: {api: \"${vars.url}:${vars.port}\"}}\n"
		"steps: [{id: m, artifact: {path: \"${vars.full}\"}}]\n";
	struct contract c;
	struct diag d;

	(void)state;
	assert_int_equal(load_text(contract, typo, &c, &d), -1);
	assert_string_equal(d.text.data, "parity: error: unknown variable 'urll' in --var "
			    "(did you mean 'url'?)\n");
	contract_release(&c);
	diag_release(&d);
	assert_int_equal(load_text(contract, bad, &c, &d), -1);
	assert_string_equal(d.text.data, "parity: error: invalid variable name 'bad name' in --var: "
			    "use letters, digits, '.', '_' and '-'\n");
	contract_release(&c);
	diag_release(&d);
	/* port has no default: a ${vars.port} makes it a name --var may set */
	assert_int_equal(load_text(contract, set, &c, &d), 0);
	assert_string_equal(vars_get(&c.vars, "full"), "b/x");
	assert_string_equal(vars_get(&c.envs[0].vars, "api"), "b:81");
	contract_release(&c);
	diag_release(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unknown_key_suggestion),
		cmocka_unit_test(test_wrong_type),
		cmocka_unit_test(test_duplicate_key),
		cmocka_unit_test(test_duplicate_step_id),
		cmocka_unit_test(test_undefined_var),
		cmocka_unit_test(test_unset_env_var),
		cmocka_unit_test(test_bad_duration),
		cmocka_unit_test(test_include_cycle),
		cmocka_unit_test(test_alias_bomb_bounded),
		cmocka_unit_test(test_multiple_documents),
		cmocka_unit_test(test_tab_indent),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_vars_precedence),
		cmocka_unit_test(test_interp_string),
		cmocka_unit_test(test_secrets_registered),
		cmocka_unit_test(test_node_typing),
		cmocka_unit_test(test_matcher_exact),
		cmocka_unit_test(test_matcher_regex),
		cmocka_unit_test(test_matcher_range),
		cmocka_unit_test(test_matcher_one_of),
		cmocka_unit_test(test_matcher_describe),
		cmocka_unit_test(test_long_line_window),
		cmocka_unit_test(test_var_overrides_checked),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
