/* request: one parser for the http and inference kinds' requests, and one
 * place that merges the environment's headers with the step's. */
#include "steps/request.h"
#include "load/check.h"
#include "steps/protocol.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

int request_parse(const struct parse_ctx *p, const struct node *map, struct step_request *r)
{
	return request_parse_yaml(p, map, false, r);
}

int request_parse_yaml(const struct parse_ctx *p, const struct node *map, bool yaml_body,
		       struct step_request *r)
{
	const struct node *hd = node_get(map, "headers");
	int errors = p->d->errors;

	memset(r, 0, sizeof *r);
	const struct node *body = node_get(map, "body");
	if (yaml_body && body && (body->type == NODE_MAP || body->type == NODE_SEQ)) {
		json_t *j = node_to_json(body);
		char *text = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
		json_decref(j);
		r->body = kit_adopt(p, text, free);
		r->body_json = true;
		body = NULL;
	}
	if (kit_string(p, map, "method", &r->method) < 0 || kit_string(p, map, "path", &r->path) < 0 ||
	    (body && kit_string(p, map, "body", &r->body) < 0))
		return -1;
	if (!hd)
		return 0;
	if (check_map(p->d, hd, "headers") < 0)
		return -1;
	r->headers = kit_new(p, (node_map_len(hd) + 1) * sizeof *r->headers);
	for (size_t i = 0; i < node_map_len(hd); i++) {
		const struct node *k = node_map_key(hd, i), *v = node_map_value(hd, i);
		if (v->type != NODE_SCALAR || node_is_null(v)) {
			diag_at(p->d, &v->mark, "header '%s' must be a string, got %s", k->str,
				node_type_name(v));
			continue;
		}
		r->headers[r->n_headers].name = arena_strdup(p->arena, k->str);
		r->headers[r->n_headers].value = arena_strdup(p->arena, v->str);
		r->n_headers++;
	}
	return p->d->errors == errors ? 0 : -1;
}

static bool step_has_header(const struct step_request *r, const char *name)
{
	for (size_t i = 0; i < r->n_headers; i++)
		if (!strcasecmp(r->headers[i].name, name))
			return true;
	return false;
}

int request_target_init(const struct gather_ctx *g, const struct step_request *r,
			struct request_target *rt, char **err)
{
	const struct env *e = g->env;
	size_t n = 0;

	memset(rt, 0, sizeof *rt);
	rt->path = gather_expand(g, r->path ? r->path : "", err);
	if (!rt->path)
		goto fail;
	if (r->body) {
		rt->body = gather_expand(g, r->body, err);
		if (!rt->body)
			goto fail;
	}
	rt->headers = xcalloc(e->n_headers + r->n_headers + 1, sizeof *rt->headers);
	rt->values = xcalloc(r->n_headers + 1, sizeof *rt->values);
	for (size_t i = 0; i < e->n_headers; i++)
		if (!step_has_header(r, e->headers[i].name))
			rt->headers[n++] = (struct http_header){e->headers[i].name, e->headers[i].value};
	for (size_t i = 0; i < r->n_headers; i++) {
		rt->values[i] = gather_expand(g, r->headers[i].value, err);
		if (!rt->values[i])
			goto fail;
		rt->headers[n++] = (struct http_header){r->headers[i].name, rt->values[i]};
	}
	rt->t = (struct http_target){
		.base_url = e->url,
		.method = r->method,
		.path = rt->path,
		.headers = rt->headers,
		.n_headers = n,
		.tls_ca = e->tls_ca,
		.tls_cert = e->tls_cert,
		.tls_key = e->tls_key,
		.tls_verify = e->tls_verify,
		.deadline_ms = g->deadline_ms,
	};
	return 0;
fail:
	request_target_release(rt);
	return -1;
}

void request_target_release(struct request_target *rt)
{
	free(rt->path);
	free(rt->body);
	free(rt->headers);
	free_list(rt->values);
	memset(rt, 0, sizeof *rt);
}
