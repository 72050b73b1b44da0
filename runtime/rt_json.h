/* runtime/rt_json.h — a small JSON writer and a strict JSON parser.
 *
 * The writer builds one JSON value in memory (the commands' --json
 * output, a checkpoint's header):
 *
 *   RtJson j;
 *   rt_json_init(&j);
 *   rt_json_object_begin(&j);
 *   rt_json_key(&j, "loss");  rt_json_double(&j, 0.25);
 *   rt_json_key(&j, "confusion");  rt_json_array_begin(&j); ...
 *   rt_json_object_end(&j);
 *   if (rt_json_text(&j)) puts(rt_json_text(&j));
 *   rt_json_free(&j);
 *
 * Commas are placed for the caller.  Numbers are written with the fewest
 * digits that read back as the same double (or float, rt_json_float), in
 * any locale; NaN and infinities, which JSON cannot express, are written
 * as null.  Strings are escaped; bytes that are not valid UTF-8 become
 * U+FFFD.  Misuse (a value in an object without a key, a key in an
 * array, unbalanced ends, nesting beyond RT_JSON_MAX_DEPTH, a second top
 * value) or running out of memory makes the writer fail: rt_json_text()
 * then returns NULL and rt_json_error() says why.
 *
 * The parser accepts exactly RFC 8259 JSON and rejects, with the line and
 * column: comments, trailing commas, leading zeros, control characters in
 * strings, invalid escapes, lone surrogates, invalid UTF-8, numbers out of
 * a double's range, duplicate object keys, nesting beyond
 * RT_JSON_MAX_DEPTH and anything after the value.
 *
 * Memory: rt_json_free() releases a writer's buffer; rt_json_value_free()
 * releases what rt_json_parse() allocated under a value.
 */
#ifndef NETC_RT_JSON_H
#define NETC_RT_JSON_H

#include <stddef.h>
#include <stdint.h>

#define RT_JSON_MAX_DEPTH 64

typedef struct RtJson {
  char *buf;                           /* the text so far, NUL-terminated */
  size_t len, cap;
  int depth;                           /* open objects and arrays */
  char open[RT_JSON_MAX_DEPTH];        /* '{' or '[' at each level */
  int members[RT_JSON_MAX_DEPTH];      /* values written at each level */
  int after_key;                       /* a key waits for its value */
  int done;                            /* the top value is complete */
  const char *error;                   /* first misuse, or NULL */
} RtJson;

void rt_json_init(RtJson *j);
void rt_json_free(RtJson *j);

void rt_json_object_begin(RtJson *j);
void rt_json_object_end(RtJson *j);
void rt_json_array_begin(RtJson *j);
void rt_json_array_end(RtJson *j);
void rt_json_key(RtJson *j, const char *key);

void rt_json_string(RtJson *j, const char *s);
void rt_json_string_n(RtJson *j, const char *s, size_t n);
void rt_json_double(RtJson *j, double v);
void rt_json_float(RtJson *j, float v);
void rt_json_int(RtJson *j, int64_t v);
void rt_json_uint(RtJson *j, uint64_t v);
void rt_json_bool(RtJson *j, int v);
void rt_json_null(RtJson *j);

/* The finished text: NULL while a value is open, when none was written,
 * or after a failure. */
const char *rt_json_text(const RtJson *j);
/* Why the writer failed, or NULL. */
const char *rt_json_error(const RtJson *j);

/* ---- parsing ---- */

typedef enum RtJsonKind {
  RT_JSON_NULL,
  RT_JSON_BOOL,
  RT_JSON_NUMBER,
  RT_JSON_STRING,
  RT_JSON_ARRAY,
  RT_JSON_OBJECT,
} RtJsonKind;

typedef struct RtJsonValue RtJsonValue;
struct RtJsonValue {
  RtJsonKind kind;
  size_t offset;          /* where the value starts in the text */
  char *key;              /* a member's name (objects' items), or NULL */
  size_t key_len;         /* bytes; a name may hold "\u0000" */
  int boolean;            /* RT_JSON_BOOL */
  double number;          /* RT_JSON_NUMBER */
  int is_uint;            /* written as digits only and below 2^64 ... */
  uint64_t uint_value;    /* ... then its exact value */
  char *string;           /* RT_JSON_STRING: UTF-8, NUL-terminated */
  size_t string_len;      /* bytes; may hold NULs */
  size_t count;           /* RT_JSON_ARRAY, RT_JSON_OBJECT */
  RtJsonValue *items;     /* (count) elements or members, in text order */
};

/* Parses text[0..len) into *out: 0, or -1 with "line L, column C: ..."
 * in err (nothing to free then). */
int rt_json_parse(const char *text, size_t len, RtJsonValue *out,
                  char *err, size_t errsz);
void rt_json_value_free(RtJsonValue *v);

/* The member of obj named key (NUL-terminated), or NULL. */
const RtJsonValue *rt_json_member(const RtJsonValue *obj, const char *key);

#endif
