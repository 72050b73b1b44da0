/* tests/runtime/test_json.c — rt_json: the writer's exact output (commas,
 * escapes, shortest round-trip numbers, null for NaN and infinities,
 * misuse), the strict parser on good and bad documents, writer-parser
 * round trips of random numbers, and mutated documents that must never
 * crash the parser. */
#include <config.h>

#include <math.h>
#include <stdint.h>

#include "rt_json.h"
#include "rt_rng.h"
#include "rt_test.h"

static char err[256];

static void test_writer_structure(void) {
  RtJson j;
  rt_json_init(&j);
  ok(rt_json_text(&j) == NULL, "nothing written: no text");
  rt_json_object_begin(&j);
  rt_json_key(&j, "a");
  rt_json_int(&j, 1);
  rt_json_key(&j, "b");
  rt_json_array_begin(&j);
  rt_json_bool(&j, 1);
  rt_json_bool(&j, 0);
  rt_json_null(&j);
  rt_json_string(&j, "x");
  rt_json_array_end(&j);
  rt_json_key(&j, "c");
  rt_json_object_begin(&j);
  ok(rt_json_text(&j) == NULL, "an open value: no text yet");
  rt_json_object_end(&j);
  rt_json_key(&j, "d");
  rt_json_array_begin(&j);
  rt_json_array_begin(&j);
  rt_json_array_end(&j);
  rt_json_uint(&j, UINT64_MAX);
  rt_json_int(&j, INT64_MIN);
  rt_json_array_end(&j);
  rt_json_object_end(&j);
  is_str(rt_json_text(&j), "{\"a\":1,\"b\":[true,false,null,\"x\"],\"c\":{},"
         "\"d\":[[],18446744073709551615,-9223372036854775808]}",
         "objects, arrays and commas");
  ok(rt_json_error(&j) == NULL, "no error");
  rt_json_free(&j);
}

static void check_string(const char *s, size_t n, const char *want,
                         const char *what) {
  RtJson j;
  rt_json_init(&j);
  rt_json_string_n(&j, s, n);
  is_str(rt_json_text(&j), want, "string: %s", what);
  rt_json_free(&j);
}

static void test_writer_strings(void) {
  check_string("q\"b\\n\n\t\r\b\f\x01\x1f/\x7f", 14,
               "\"q\\\"b\\\\n\\n\\t\\r\\b\\f\\u0001\\u001f/\x7f\"",
               "escapes");
  check_string("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9,
               "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"", "UTF-8 kept");
  check_string("a\xff" "b", 3, "\"a\\ufffdb\"", "a stray byte");
  check_string("\xc3", 1, "\"\\ufffd\"", "a cut sequence");
  check_string("\xc0\xaf", 2, "\"\\ufffd\\ufffd\"", "an overlong form");
  check_string("\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"",
               "an encoded surrogate");
  check_string("a\0b", 3, "\"a\\u0000b\"", "a NUL");
}

static void check_double(double v, const char *want) {
  RtJson j;
  rt_json_init(&j);
  rt_json_double(&j, v);
  is_str(rt_json_text(&j), want, "double %s", want);
  rt_json_free(&j);
}

static void check_float(float v, const char *want) {
  RtJson j;
  rt_json_init(&j);
  rt_json_float(&j, v);
  is_str(rt_json_text(&j), want, "float %s", want);
  rt_json_free(&j);
}

static void test_writer_numbers(void) {
  check_double(0.1, "0.1");
  check_double(0.3, "0.3");
  check_double(1.0 / 3, "0.3333333333333333");
  check_double(2.0 / 3, "0.6666666666666666");
  check_double(100, "100");
  check_double(-0.0, "-0");
  check_double(1e21, "1e+21");
  check_double(1e300, "1e+300");
  check_double(5e-324, "5e-324");
  check_double(123456789012345680.0, "1.2345678901234568e+17");
  check_double(NAN, "null");
  check_double(INFINITY, "null");
  check_double(-INFINITY, "null");
  check_float(0.1f, "0.1");
  check_float(16777217.0f, "16777216");
  check_float(3.4028235e38f, "3.4028235e+38");
  check_float(1e-45f, "1e-45");
  check_float(NAN, "null");
}

/* Random bit patterns written and parsed back must be the same number. */
static void test_round_trip(void) {
  RtRng r;
  RtJson j;
  RtJsonValue v;
  int doubles = 0, floats = 0, n = 0;
  rt_rng_seed(&r, 9);
  rt_json_init(&j);
  rt_json_array_begin(&j);
  for (int i = 0; i < 20000; i++) {
    uint64_t bits = rt_rng_next(&r);
    double d;
    float f;
    uint32_t fb = (uint32_t)bits;
    memcpy(&d, &bits, sizeof d);
    memcpy(&f, &fb, sizeof f);
    rt_json_double(&j, isfinite(d) ? d : 1.5);
    rt_json_float(&j, isfinite(f) ? f : 2.5f);
  }
  rt_json_array_end(&j);
  ok(rt_json_parse(rt_json_text(&j), j.len, &v, err, sizeof err) == 0 &&
     v.count == 40000, "40,000 numbers parse back");
  rt_rng_seed(&r, 9);
  for (int i = 0; i < 20000 && v.count == 40000; i++) {
    uint64_t bits = rt_rng_next(&r);
    double d;
    float f;
    uint32_t fb = (uint32_t)bits;
    memcpy(&d, &bits, sizeof d);
    memcpy(&f, &fb, sizeof f);
    d = isfinite(d) ? d : 1.5;
    f = isfinite(f) ? f : 2.5f;
    doubles += memcmp(&v.items[2 * i].number, &d, sizeof d) == 0;
    floats += (float)v.items[2 * i + 1].number == f;
    n++;
  }
  ok(doubles == 20000, "every double comes back bit for bit (%d)", doubles);
  ok(floats == 20000 && n == 20000, "every float comes back (%d)", floats);
  rt_json_value_free(&v);
  rt_json_free(&j);
}

static void check_misuse(int what, const char *phrase) {
  RtJson j;
  rt_json_init(&j);
  switch (what) {
  case 0:
    rt_json_object_begin(&j);
    rt_json_int(&j, 1);
    break;
  case 1:
    rt_json_array_begin(&j);
    rt_json_key(&j, "k");
    break;
  case 2:
    rt_json_array_begin(&j);
    rt_json_object_end(&j);
    break;
  case 3:
    rt_json_int(&j, 1);
    rt_json_int(&j, 2);
    break;
  case 4:
    for (int i = 0; i < RT_JSON_MAX_DEPTH + 1; i++)
      rt_json_array_begin(&j);
    break;
  case 5:
    rt_json_object_begin(&j);
    rt_json_key(&j, "a");
    rt_json_key(&j, "b");
    break;
  case 6:
    rt_json_object_begin(&j);
    rt_json_key(&j, "a");
    rt_json_object_end(&j);
    break;
  }
  ok(rt_json_text(&j) == NULL, "misuse %d: no text", what);
  has(rt_json_error(&j), phrase, "misuse %d: %s", what, phrase);
  rt_json_free(&j);
}

static void test_writer_misuse(void) {
  check_misuse(0, "without a key");
  check_misuse(1, "a key outside an object");
  check_misuse(2, "an object end without its begin");
  check_misuse(3, "a second value");
  check_misuse(4, "nesting deeper");
  check_misuse(5, "after a key");
  check_misuse(6, "with a key waiting");
}

static int parse(const char *text, RtJsonValue *v) {
  return rt_json_parse(text, strlen(text), v, err, sizeof err);
}

static void test_parse_good(void) {
  static const char text[] =
    " {\"a\": [1, -2.5e3, true, false, null,\n"
    "  \"s\\u00e9\\ud83d\\ude00\\u0000x\\/\\\"\"], \"b\" : {}} \r\n";
  RtJsonValue v;
  const RtJsonValue *a, *s;
  ok(parse(text, &v) == 0, "a document with every kind of value");
  a = rt_json_member(&v, "a");
  ok(v.kind == RT_JSON_OBJECT && v.count == 2 && a &&
     a->kind == RT_JSON_ARRAY && a->count == 6, "the tree's shape");
  ok(a && a->offset == 7 && a->items[0].is_uint &&
     a->items[0].uint_value == 1 && a->items[1].number == -2500 &&
     !a->items[1].is_uint, "numbers");
  ok(a && a->items[2].kind == RT_JSON_BOOL && a->items[2].boolean &&
     !a->items[3].boolean && a->items[4].kind == RT_JSON_NULL,
     "true, false, null");
  s = a ? &a->items[5] : NULL;
  ok(s && s->kind == RT_JSON_STRING && s->string_len == 11 &&
     memcmp(s->string, "s\xc3\xa9\xf0\x9f\x98\x80\0x/\"", 11) == 0,
     "escapes, a surrogate pair and \\u0000 decoded");
  ok(rt_json_member(&v, "b") && rt_json_member(&v, "b")->count == 0 &&
     rt_json_member(&v, "zz") == NULL && rt_json_member(a, "a") == NULL,
     "members by name");
  rt_json_value_free(&v);
  ok(v.items == NULL && v.count == 0, "freed");
  ok(parse("18446744073709551615", &v) == 0 && v.is_uint &&
     v.uint_value == UINT64_MAX, "2^64 - 1 exactly");
  ok(parse("18446744073709551616", &v) == 0 && !v.is_uint &&
     v.number == 18446744073709551616.0, "2^64: a double only");
  ok(parse("-1", &v) == 0 && !v.is_uint && parse("1.0", &v) == 0 &&
     !v.is_uint && parse("1e2", &v) == 0 && !v.is_uint && v.number == 100,
     "signs, fractions and exponents are not whole numbers");
  ok(parse("0", &v) == 0 && v.is_uint && v.uint_value == 0, "0");
}

static void check_bad(const char *text, size_t len, const char *phrase) {
  RtJsonValue v;
  int rc = rt_json_parse(text, len, &v, err, sizeof err);
  ok(rc == -1 && v.count == 0 && v.string == NULL, "refused: %s", phrase);
  has(err, phrase, "message: %s", phrase);
}

static void bad(const char *text, const char *phrase) {
  check_bad(text, strlen(text), phrase);
}

static void test_parse_bad(void) {
  char deep[200];
  RtJsonValue v;
  bad("", "line 1, column 1: expected a value, found the end of the text");
  bad("{", "expected a string naming an object member");
  bad("[1,]", "line 1, column 4: expected a value, found ']'");
  bad("{\"a\":1,}", "expected a string naming");
  bad("01", "a number with a leading zero");
  bad("-01", "a number with a leading zero");
  bad("1.", "expected a digit after the decimal point");
  bad(".5", "expected a value, found '.'");
  bad("-", "expected a digit");
  bad("1e", "expected a digit in the exponent");
  bad("+1", "expected a value, found '+'");
  bad("tru", "expected a value, found 't'");
  bad("\"abc", "a string that never ends");
  bad("\"\\x\"", "invalid escape '\\x'");
  bad("\"\\ud800\"", "a high surrogate \\ud800 without a low one");
  bad("\"\\ud800\\u0041\"", "without a low one");
  bad("\"\\udc00\"", "a low surrogate \\udc00 without a high one");
  bad("\"\\u12g4\"", "four hexadecimal digits");
  bad("\"\\u12", "four hexadecimal digits");
  bad("\"a\x01\"", "control character 0x01 in a string");
  bad("\"\xff\"", "invalid UTF-8 byte 0xff");
  bad("\"\xc0\xaf\"", "invalid UTF-8 byte 0xc0");
  bad("\"\xed\xa0\x80\"", "invalid UTF-8 byte 0xed");
  bad("\"\xf4\x90\x80\x80\"", "invalid UTF-8 byte 0xf4");
  bad("{\"a\":1 \"b\":2}", "expected ',' or '}' after an object member");
  bad("{\"a\" 1}", "expected ':' after an object key");
  bad("{1:2}", "expected a string naming an object member, found '1'");
  bad("[1 2]", "expected ',' or ']' after an array element");
  bad("[1] x", "expected the end of the text after the value, found 'x'");
  bad("{\"a\":1,\"a\":2}", "line 1, column 8: duplicate key \"a\"");
  bad("1e400", "number out of a double's range");
  bad("/* c */ 1", "found '/'");
  bad("NaN", "found 'N'");
  bad("Infinity", "found 'I'");
  bad("{\n  \"a\": x\n}", "line 2, column 8: expected a value, found 'x'");
  check_bad("[1]\0", 4, "found byte 0x00");
  memset(deep, '[', 65);
  memset(deep + 65, ']', 65);
  deep[130] = '\0';
  bad(deep, "nesting deeper than 64");
  ok(rt_json_parse(deep + 1, 128, &v, err, sizeof err) == 0,
     "64 levels are fine");
  rt_json_value_free(&v);
}

/* Mutated documents: any answer but a crash or a leak (sanitizers). */
static void test_parse_mutations(void) {
  static const char base[] =
    "{\"__metadata__\":{\"k\":\"v\\n\\u00e9\"},\"w\":{\"dtype\":\"F32\","
    "\"shape\":[2,3],\"data_offsets\":[0,24]},\"x\":[1.5e-3,-0,true,null]}";
  char buf[sizeof base + 8];
  RtRng r;
  int accepted = 0, refused = 0;
  rt_rng_seed(&r, 5);
  for (int i = 0; i < 20000; i++) {
    size_t n = sizeof base - 1, at;
    RtJsonValue v;
    memcpy(buf, base, n);
    for (int m = 0; m < 1 + (int)rt_rng_below(&r, 3) && n > 0; m++) {
      at = (size_t)rt_rng_below(&r, n);
      switch (rt_rng_below(&r, 3)) {
      case 0:
        buf[at] = (char)rt_rng_below(&r, 256);
        break;
      case 1:
        buf[at] = "{}[]\",:\\0e-."[rt_rng_below(&r, 12)];
        break;
      default:
        n = at;
      }
    }
    if (rt_json_parse(buf, n, &v, err, sizeof err) == 0)
      accepted++;
    else
      refused += err[0] != '\0';
    rt_json_value_free(&v);
  }
  ok(accepted + refused == 20000, "20,000 mutated documents: %d parsed, %d "
     "refused with a message", accepted, refused);
}

int main(void) {
  test_writer_structure();
  test_writer_strings();
  test_writer_numbers();
  test_round_trip();
  test_writer_misuse();
  test_parse_good();
  test_parse_bad();
  test_parse_mutations();
  return tap_done();
}
