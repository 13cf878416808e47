/* host: this machine's facts, read from uname, /etc/os-release, sysconf;
 * the full set adds /proc/cpuinfo, glibc's and the libraries' versions. */
#include "engine/host.h"
#include "util/xalloc.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <curl/curl.h>
#include <gnu/libc-version.h>
#include <openssl/crypto.h>
#include <pcre2.h>
#include <yaml.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

static char *os_pretty_name(void)
{
	FILE *f = fopen("/etc/os-release", "r");
	char line[512];
	char *r = NULL;
	if (!f)
		return NULL;
	while (!r && fgets(line, sizeof line, f)) {
		if (strncmp(line, "PRETTY_NAME=", 12))
			continue;
		char *v = line + 12;
		v[strcspn(v, "\n")] = '\0';
		size_t n = strlen(v);
		if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
			v[n - 1] = '\0';
			v++;
		}
		r = xstrdup(v);
	}
	fclose(f);
	return r;
}

json_t *host_facts(void)
{
	struct utsname u;
	char hostname[256] = "";
	json_t *h = json_object();
	char *os = os_pretty_name();

	gethostname(hostname, sizeof hostname - 1);
	json_object_set_new(h, "hostname", json_string(hostname));
	if (os)
		json_object_set_new(h, "os", json_string(os));
	if (uname(&u) == 0) {
		json_object_set_new(h, "kernel", json_string(u.release));
		json_object_set_new(h, "arch", json_string(u.machine));
	}
	json_object_set_new(h, "cpus", json_integer(sysconf(_SC_NPROCESSORS_ONLN)));
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
	if (pages > 0 && size > 0)
		json_object_set_new(h, "memory_gib",
				    json_real((double)pages * (double)size / (1024.0 * 1024 * 1024)));
	free(os);
	return h;
}

/* The value of the first /proc/cpuinfo line "KEY<tabs>: value" for each of
 * keys (in order of preference), or NULL. */
static char *cpuinfo(const char *const *keys)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char *line = NULL, *best = NULL;
	size_t cap = 0;
	int rank = -1;
	if (!f)
		return NULL;
	while (getline(&line, &cap, f) > 0) {
		char *colon = strchr(line, ':');
		if (!colon)
			continue;
		size_t klen = (size_t)(colon - line);
		while (klen && (line[klen - 1] == ' ' || line[klen - 1] == '\t'))
			klen--;
		for (int i = 0; keys[i] && (rank < 0 || i < rank); i++) {
			if (strlen(keys[i]) != klen || strncmp(line, keys[i], klen))
				continue;
			char *v = colon + 1;
			v += strspn(v, " \t");
			v[strcspn(v, "\n")] = '\0';
			free(best);
			best = xstrdup(v);
			rank = i;
		}
	}
	free(line);
	fclose(f);
	return best;
}

static json_t *cpu_facts(void)
{
	static const char *const model_keys[] = {"model name", "cpu model", "Model", "Hardware", NULL};
	static const char *const flag_keys[] = {"flags", "Features", NULL};
	json_t *cpu = json_object();
	char *model = cpuinfo(model_keys), *fl = cpuinfo(flag_keys);
	json_object_set_new(cpu, "model", model ? json_string(model) : json_null());
	/* one line, as /proc/cpuinfo has it: easy to grep for avx512f or fma */
	json_object_set_new(cpu, "flags", fl ? json_string(fl) : json_null());
	free(fl);
	free(model);
	return cpu;
}

static json_t *library_versions(void)
{
	json_t *libs = json_object();
	char pcre[64] = "";
	const curl_version_info_data *curl = curl_version_info(CURLVERSION_NOW);

	json_object_set_new(libs, "libyaml", json_string(yaml_get_version_string()));
	if (pcre2_config(PCRE2_CONFIG_VERSION, pcre) > 0)
		json_object_set_new(libs, "pcre2", json_string(pcre));
	json_object_set_new(libs, "libcurl", curl ? json_string(curl->version) : json_null());
	json_object_set_new(libs, "openssl", json_string(OpenSSL_version(OPENSSL_VERSION)));
	json_object_set_new(libs, "jansson", json_string(JANSSON_VERSION));
	return libs;
}

json_t *host_facts_full(void)
{
	json_t *h = host_facts();
	struct utsname u;
	if (uname(&u) == 0)
		json_object_set_new(h, "kernel_version", json_string(u.version));
	json_object_set_new(h, "cpu", cpu_facts());
	json_object_set_new(h, "libc", json_sprintf("glibc %s", gnu_get_libc_version()));
	json_object_set_new(h, "libraries", library_versions());
	return h;
}
