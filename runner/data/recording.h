/* recording: a traffic recording read one record at a time, for the replay
 * step: JSON Lines with pointers to the request and the response, SageMaker
 * Data Capture lines, structured-mode CloudEvents as KServe's inference
 * logger writes them (request and response events joined by id), and HAR
 * 1.2. Only the current record is held (CloudEvents: plus the requests
 * still waiting for their response; HAR: the document, which is one JSON
 * value). A record without a response is skipped and counted.
 *
 * Layer: data. May include: util. */
#ifndef PARITY_RECORDING_H
#define PARITY_RECORDING_H
#include <stddef.h>
#include <stdio.h>

#include <jansson.h>

enum recording_format { REC_JSONL, REC_SAGEMAKER, REC_CLOUDEVENTS, REC_HAR };

struct recording_opts {
	enum recording_format format;
	const char *request;            /* jsonl: JSON Pointer to the request; NULL: /request */
	const char *response;           /* jsonl: JSON Pointer to the response; NULL: /response */
	const char *id;                 /* jsonl: JSON Pointer to the id; NULL: "line N" */
	size_t limit;                   /* the first N records; 0: all */
};

/* One record, owned by the reader until the next call. */
struct record {
	size_t where;                   /* line (of the response) or, for HAR, entry (from 0) */
	const char *id;                 /* the logged id, or "line 12" / "entry 3" */
	const char *body;               /* the request body as logged (bytes, NUL-terminated) */
	size_t len;
	const char *content_type;       /* as logged; "application/json" when not said */
	json_t *response;               /* the response: JSON, or a CSV line read as an
					 * array of numbers, or else the text as a string */
	json_t *record;                 /* what features' pointer reads: the JSON Lines line,
					 * or {"id", "request", "response"} for the other formats */
};

struct recording;

/* "jsonl" -> REC_JSONL ...; -1 when unknown. */
int recording_format_from_name(const char *name);
/* Opens path; name (borrowed) stands for it in messages. Returns 0 with *out,
 * or -1 with *err (owned by the caller). */
int recording_open(const char *path, const char *name, const struct recording_opts *o,
		   struct recording **out, char **err);
/* The same from an open stream, which the reader takes (and closes). */
int recording_open_file(FILE *f, const char *name, const struct recording_opts *o,
			struct recording **out, char **err);
/* The next record: 1 with *rec filled, 0 at the end, -1 with *err naming the
 * file and line or entry: "logs/p.jsonl:12: invalid JSON: ...". */
int recording_next(struct recording *r, struct record *rec, char **err);
/* Records skipped so far because they had no response. */
size_t recording_skipped(const struct recording *r);
void recording_close(struct recording *r);

/* Decodes standard base64 (whitespace ignored) into a new buffer *out of
 * *len bytes, NUL-terminated; -1 when text is not base64. */
int recording_base64(const char *text, size_t n, char **out, size_t *len);

#endif
