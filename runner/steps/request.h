/* request: the HTTP request a step describes, shared by the http and
 * inference kinds: method, path, body and headers parsed once from the
 * step's mapping into the contract's arena, then made ready to send in one
 * environment: its url, its headers then the step's (a step header wins
 * over an environment header of the same name, names compared without
 * case), TLS, and the step's deadline. */
#ifndef PARITY_REQUEST_H
#define PARITY_REQUEST_H
#include <stddef.h>
#include "steps/step.h"
#include "transport/http.h"

struct step_request {
	char *method;                   /* as written; NULL: POST with a body, GET without */
	char *path;                     /* raw, expanded per environment; NULL: "" */
	char *body;                     /* raw; NULL: no body */
	bool body_json;                 /* body was a YAML mapping or list, written as JSON */
	struct http_header *headers;    /* raw values, expanded per environment */
	size_t n_headers;
};

/* Reads 'method', 'path', 'body' and 'headers' of map into *r (zeroed
 * first; strings in p's arena). The caller checks map's keys and what the
 * values may be. Returns 0, or -1 after reporting every header that is not
 * a string: "header 'X' must be a string, got mapping". */
int request_parse(const struct parse_ctx *p, const struct node *map, struct step_request *r);
/* request_parse, and with yaml_body a body that is a YAML mapping or list
 * is kept as its JSON text (body_json). */
int request_parse_yaml(const struct parse_ctx *p, const struct node *map, bool yaml_body,
		       struct step_request *r);

/* A request ready to send in one environment: t points into the fields
 * below and into the environment. */
struct request_target {
	struct http_target t;
	char *path, *body;              /* expanded; body NULL: none */
	struct http_header *headers;    /* the environment's, then the step's */
	char **values;                  /* the step's header values, expanded */
};

/* Fills *rt (release it) for g's environment, whose url the caller has
 * checked; t.timeout_ms is 0 (30 s) for the caller to set. Returns 0, or -1
 * with *err (rt released) when a ${...} cannot be expanded. */
int request_target_init(const struct gather_ctx *g, const struct step_request *r,
			struct request_target *rt, char **err);
void request_target_release(struct request_target *rt);

#endif
