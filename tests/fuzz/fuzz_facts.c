/* fuzz_facts: libFuzzer target for facts files, the JSON `parity capture`
 * writes and `parity compare` (or an environment's `facts:`) reads. Each
 * input is environment b's facts file: written to a temporary file, read by
 * facts_read, every step's fact read by fact_from_json, then evaluated
 * against a's captured facts on the fixed contract of compare.c, every
 * report rendered (plan_use_facts's digest check is left out: the fuzzer
 * cannot forge a sha256, and it only compares two strings).
 * Built by `make fuzz` and by tests/e2e/fuzz.t. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compare.h"
#include "model/fact.h"
#include "engine/facts.h"
#include "steps/bind.h"
#include "util/diag.h"
#include "util/secret.h"
#include "util/xalloc.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[256];
static char *facts_path, *lock_path, *contract_file;
static struct contract contract;
static int fd = -1;

static void cleanup(void)
{
	contract_release(&contract);
	if (fd >= 0)
		close(fd);
	unlink(facts_path);
	unlink(lock_path);
	unlink(contract_file);
	rmdir(dir);
	free(facts_path);
	free(lock_path);
	free(contract_file);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	struct diag d;
	FILE *f;

	(void)argc;
	(void)argv;
	/* a crash exits without atexit: TMPDIR lets the caller clean up */
	snprintf(dir, sizeof dir, "%s/parity-fuzz-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("fuzz_facts: mkdtemp");
		abort();
	}
	facts_path = xasprintf("%s/b.facts.json", dir);
	lock_path = xasprintf("%s/%s", dir, COMPARE_LOCK_NAME);
	contract_file = compare_write_contract(dir);
	atexit(cleanup);
	f = fopen(lock_path, "w");
	if (!f || fputs(compare_lock_text, f) < 0 || fclose(f) != 0) {
		perror(lock_path);
		abort();
	}
	diag_init(&d);
	if (contract_open(&contract, contract_file, NULL, &d) < 0 || d.errors) {
		fprintf(stderr, "fuzz_facts: the contract of compare.c does not load\n");
		abort();
	}
	diag_release(&d);
	fd = open(facts_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		perror("fuzz_facts: open");
		abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *err = NULL;
	const char *id;
	json_t *doc, *v;

	if (ftruncate(fd, 0) < 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size)) {
		perror("fuzz_facts: write");
		abort();
	}
	doc = facts_read(facts_path, &err);
	if (!doc == !err)
		abort();
	free(err);
	if (!doc)
		return 0;
	json_object_foreach(json_object_get(doc, "steps"), id, v) {
		struct fact f;
		err = NULL;
		if (fact_from_json(&f, v, &err) < 0 ? !err : f.state == FACT_NONE)
			abort();
		fact_release(&f);
		free(err);
	}
	compare_evaluate(&contract, compare_facts(0), json_object_get(doc, "steps"));
	json_decref(doc);
	secret_clear();
	return 0;
}
