/* host: facts about the machine parity runs on (hostname, OS, kernel,
 * architecture, CPUs, memory), for the sign-off block and `parity probe`;
 * host_facts is cheap, it runs for every environment of every run. */
#ifndef PARITY_HOST_H
#define PARITY_HOST_H
#include <jansson.h>

json_t *host_facts(void);      /* new reference */
/* host_facts plus what `parity probe host` shows and reports do not need:
 * the kernel's version string, the CPU model and flags (/proc/cpuinfo),
 * the C library's version and the versions of the libraries parity was
 * built with. New reference. */
json_t *host_facts_full(void);

#endif
