/* tests/fuzz/json.c — fuzz target: rt_json_parse, the strict JSON parser,
 * and the writer through a round trip: a document that parses is written
 * back with the RtJson writer, which must succeed, and the text it writes
 * must parse to the same value (numbers equal as doubles, whole numbers
 * exactly, strings byte for byte).  A difference aborts: it is a bug of
 * the writer or of the parser.
 *
 * Input: the text, as it is.  Documents whose keys hold a NUL byte skip
 * the round trip: rt_json_key takes a C string.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "rt_json.h"

static int has_nul_key(const RtJsonValue *v) {
  for (size_t i = 0; i < v->count; i++)
    if ((v->items[i].key && strlen(v->items[i].key) != v->items[i].key_len)
        || has_nul_key(&v->items[i]))
      return 1;
  return 0;
}

static void write_value(RtJson *j, const RtJsonValue *v);

static void write_number(RtJson *j, const RtJsonValue *v) {
  if (v->is_uint)
    rt_json_uint(j, v->uint_value);
  else
    rt_json_double(j, v->number);
}

static void write_array(RtJson *j, const RtJsonValue *v) {
  rt_json_array_begin(j);
  for (size_t i = 0; i < v->count; i++)
    write_value(j, &v->items[i]);
  rt_json_array_end(j);
}

static void write_object(RtJson *j, const RtJsonValue *v) {
  rt_json_object_begin(j);
  for (size_t i = 0; i < v->count; i++) {
    rt_json_key(j, v->items[i].key);
    write_value(j, &v->items[i]);
  }
  rt_json_object_end(j);
}

static void write_value(RtJson *j, const RtJsonValue *v) {
  switch (v->kind) {
  case RT_JSON_NULL: rt_json_null(j); break;
  case RT_JSON_BOOL: rt_json_bool(j, v->boolean); break;
  case RT_JSON_NUMBER: write_number(j, v); break;
  case RT_JSON_STRING: rt_json_string_n(j, v->string, v->string_len); break;
  case RT_JSON_ARRAY: write_array(j, v); break;
  case RT_JSON_OBJECT: write_object(j, v); break;
  }
}

static int same_bytes(const char *a, size_t an, const char *b, size_t bn) {
  return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

static int same_value(const RtJsonValue *a, const RtJsonValue *b) {
  if (a->kind != b->kind || a->count != b->count ||
      !same_bytes(a->key, a->key_len, b->key, b->key_len))
    return 0;
  switch (a->kind) {
  case RT_JSON_BOOL: return a->boolean == b->boolean;
  case RT_JSON_NUMBER:
    return a->number == b->number &&
           (!a->is_uint || (b->is_uint && a->uint_value == b->uint_value));
  case RT_JSON_STRING:
    return same_bytes(a->string, a->string_len, b->string, b->string_len);
  default:
    break;
  }
  for (size_t i = 0; i < a->count; i++)
    if (!same_value(&a->items[i], &b->items[i]))
      return 0;
  return 1;
}

static void round_trip(const RtJsonValue *v) {
  RtJson j;
  RtJsonValue back;
  char err[256];
  rt_json_init(&j);
  write_value(&j, v);
  if (!rt_json_text(&j)) {
    fprintf(stderr, "json: the writer failed: %s\n", rt_json_error(&j));
    abort();
  }
  if (rt_json_parse(j.buf, j.len, &back, err, sizeof err) < 0) {
    fprintf(stderr, "json: the writer's text does not parse: %s\n%s\n",
            err, j.buf);
    abort();
  }
  if (!same_value(v, &back)) {
    fprintf(stderr, "json: the round trip changed the value:\n%s\n", j.buf);
    abort();
  }
  rt_json_value_free(&back);
  rt_json_free(&j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  RtJsonValue v;
  char err[256];
  if (rt_json_parse((const char *)data, size, &v, err, sizeof err) < 0)
    return 0;
  rt_json_member(&v, "format");
  if (!has_nul_key(&v))
    round_trip(&v);
  rt_json_value_free(&v);
  return 0;
}
