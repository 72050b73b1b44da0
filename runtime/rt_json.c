/* runtime/rt_json.c — the JSON writer and the strict parser (rt_json.h).
 *
 * Grammar (RFC 8259), which the parser follows function by function:
 *   value  -> object | array | string | number | true | false | null
 *   object -> '{' ws [ string ws ':' value ( ',' ws string ws ':' value )* ]
 *             '}'
 *   array  -> '[' ws [ value ( ',' value )* ] ']'
 *   number -> '-'? ( '0' | [1-9][0-9]* ) ( '.' [0-9]+ )?
 *             ( [eE] [+-]? [0-9]+ )?
 * (a value is surrounded by optional whitespace: space, tab, LF, CR).
 */
#include <config.h>

#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_json.h"

/* Length of the valid UTF-8 sequence at s[0..n), or 0 when it is not one
 * (overlong forms, surrogates and code points past U+10FFFF are not). */
static size_t utf8_len(const unsigned char *s, size_t n) {
  unsigned c = s[0];
  size_t len;
  unsigned lo = 0x80, hi = 0xbf;       /* the second byte's range */
  if (c < 0x80)
    return 1;
  if (c >= 0xc2 && c <= 0xdf)
    len = 2;
  else if (c >= 0xe0 && c <= 0xef)
    len = 3;
  else if (c >= 0xf0 && c <= 0xf4)
    len = 4;
  else
    return 0;
  if (c == 0xe0)
    lo = 0xa0;
  else if (c == 0xed)
    hi = 0x9f;
  else if (c == 0xf0)
    lo = 0x90;
  else if (c == 0xf4)
    hi = 0x8f;
  if (n < len || s[1] < lo || s[1] > hi)
    return 0;
  for (size_t i = 2; i < len; i++)
    if ((s[i] & 0xc0) != 0x80)
      return 0;
  return len;
}

/* ---- writer ---- */

void rt_json_init(RtJson *j) {
  memset(j, 0, sizeof *j);
}

void rt_json_free(RtJson *j) {
  free(j->buf);
  memset(j, 0, sizeof *j);
}

static void fail(RtJson *j, const char *why) {
  if (!j->error)
    j->error = why;
}

static void put(RtJson *j, const char *s, size_t n) {
  if (j->error)
    return;
  if (j->len + n + 1 > j->cap) {
    size_t cap = j->cap ? j->cap : 256;
    char *grown;
    while (cap < j->len + n + 1)
      cap *= 2;
    grown = realloc(j->buf, cap);
    if (!grown) {
      fail(j, "out of memory");
      return;
    }
    j->buf = grown;
    j->cap = cap;
  }
  memcpy(j->buf + j->len, s, n);
  j->len += n;
  j->buf[j->len] = '\0';
}

static void put_str(RtJson *j, const char *s) {
  put(j, s, strlen(s));
}

/* Checks that a value may come here, and writes the comma before it. */
static int begin_value(RtJson *j) {
  int d = j->depth;
  if (j->error)
    return 0;
  if (j->done) {
    fail(j, "a second value after the top one");
    return 0;
  }
  if (d > 0 && j->open[d - 1] == '{') {
    if (!j->after_key) {
      fail(j, "a value in an object without a key");
      return 0;
    }
    j->after_key = 0;
  } else if (d > 0 && j->members[d - 1]++ > 0) {
    put(j, ",", 1);
  }
  return 1;
}

static void end_value(RtJson *j) {
  if (j->depth == 0)
    j->done = 1;
}

static void open_level(RtJson *j, char c) {
  if (!begin_value(j))
    return;
  if (j->depth == RT_JSON_MAX_DEPTH) {
    fail(j, "nesting deeper than RT_JSON_MAX_DEPTH");
    return;
  }
  put(j, &c, 1);
  j->open[j->depth] = c;
  j->members[j->depth++] = 0;
}

static void close_level(RtJson *j, char open, char close) {
  if (j->error)
    return;
  if (j->depth == 0 || j->open[j->depth - 1] != open || j->after_key) {
    fail(j, open == '{' ? "an object end without its begin or with a key "
         "waiting" : "an array end without its begin");
    return;
  }
  put(j, &close, 1);
  j->depth--;
  end_value(j);
}

void rt_json_object_begin(RtJson *j) {
  open_level(j, '{');
}

void rt_json_object_end(RtJson *j) {
  close_level(j, '{', '}');
}

void rt_json_array_begin(RtJson *j) {
  open_level(j, '[');
}

void rt_json_array_end(RtJson *j) {
  close_level(j, '[', ']');
}

/* The escape for a byte that JSON strings may not hold as it is. */
static const char *escape_of(unsigned char c, char *buf, size_t n) {
  switch (c) {
  case '"': return "\\\"";
  case '\\': return "\\\\";
  case '\b': return "\\b";
  case '\f': return "\\f";
  case '\n': return "\\n";
  case '\r': return "\\r";
  case '\t': return "\\t";
  }
  if (c >= 0x20)
    return NULL;
  snprintf(buf, n, "\\u%04x", c);
  return buf;
}

static void put_escaped(RtJson *j, const char *s, size_t n) {
  const unsigned char *p = (const unsigned char *)s;
  put(j, "\"", 1);
  for (size_t i = 0; i < n;) {
    size_t len = utf8_len(p + i, n - i);
    char buf[8];
    const char *esc = escape_of(p[i], buf, sizeof buf);
    if (len == 0) {
      put_str(j, "\\ufffd");
      len = 1;
    } else if (esc) {
      put_str(j, esc);
    } else {
      put(j, s + i, len);
    }
    i += len;
  }
  put(j, "\"", 1);
}

void rt_json_key(RtJson *j, const char *key) {
  int d = j->depth;
  if (j->error)
    return;
  if (d == 0 || j->open[d - 1] != '{' || j->after_key) {
    fail(j, "a key outside an object or after a key");
    return;
  }
  if (j->members[d - 1]++ > 0)
    put(j, ",", 1);
  put_escaped(j, key, strlen(key));
  put(j, ":", 1);
  j->after_key = 1;
}

void rt_json_string_n(RtJson *j, const char *s, size_t n) {
  if (!begin_value(j))
    return;
  put_escaped(j, s, n);
  end_value(j);
}

void rt_json_string(RtJson *j, const char *s) {
  rt_json_string_n(j, s, strlen(s));
}

/* printf writes the locale's decimal point; JSON wants '.'.  (%g writes
 * no thousands separators, so any other punctuation is the point.) */
static void fix_point(char *buf) {
  for (char *p = buf; *p; p++)
    if (*p != '-' && *p != '+' && *p != 'e' && (*p < '0' || *p > '9'))
      *p = '.';
}

static void put_number(RtJson *j, double v, int single) {
  char buf[40];
  if (!begin_value(j))
    return;
  if (!isfinite(v)) {
    put_str(j, "null");
    end_value(j);
    return;
  }
  if (v == floor(v) && fabs(v) < 1e17) {
    snprintf(buf, sizeof buf, "%.0f", v);      /* whole: all digits */
  } else {
    for (int prec = 1; prec <= 17; prec++) {
      snprintf(buf, sizeof buf, "%.*g", prec, v);
      if (single ? strtof(buf, NULL) == (float)v : strtod(buf, NULL) == v)
        break;
    }
  }
  fix_point(buf);
  put_str(j, buf);
  end_value(j);
}

void rt_json_double(RtJson *j, double v) {
  put_number(j, v, 0);
}

void rt_json_float(RtJson *j, float v) {
  put_number(j, v, 1);
}

void rt_json_int(RtJson *j, int64_t v) {
  char buf[24];
  if (!begin_value(j))
    return;
  snprintf(buf, sizeof buf, "%" PRId64, v);
  put_str(j, buf);
  end_value(j);
}

void rt_json_uint(RtJson *j, uint64_t v) {
  char buf[24];
  if (!begin_value(j))
    return;
  snprintf(buf, sizeof buf, "%" PRIu64, v);
  put_str(j, buf);
  end_value(j);
}

void rt_json_bool(RtJson *j, int v) {
  if (!begin_value(j))
    return;
  put_str(j, v ? "true" : "false");
  end_value(j);
}

void rt_json_null(RtJson *j) {
  if (!begin_value(j))
    return;
  put_str(j, "null");
  end_value(j);
}

const char *rt_json_text(const RtJson *j) {
  return j->error || !j->done ? NULL : j->buf;
}

const char *rt_json_error(const RtJson *j) {
  return j->error;
}

/* ---- parser ---- */

typedef struct Parser {
  const unsigned char *s;
  size_t len, pos;
  int depth;
  char *err;
  size_t errsz;
} Parser;

static int perr(Parser *p, size_t at, const char *fmt, ...)
  __attribute__((format(printf, 3, 4)));

/* "line L, column C: ..." for the byte at `at` (columns count bytes). */
static int perr(Parser *p, size_t at, const char *fmt, ...) {
  size_t line = 1, col = 1;
  va_list ap;
  int n;
  if (!p->err || p->errsz == 0)
    return -1;
  for (size_t i = 0; i < at && i < p->len; i++, col++)
    if (p->s[i] == '\n')
      line++, col = 0;
  n = snprintf(p->err, p->errsz, "line %zu, column %zu: ", line, col);
  if (n >= 0 && (size_t)n < p->errsz) {
    va_start(ap, fmt);
    vsnprintf(p->err + n, p->errsz - (size_t)n, fmt, ap);
    va_end(ap);
  }
  return -1;
}

static void skip_ws(Parser *p) {
  while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
                             p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
    p->pos++;
}

/* A short description of the byte at pos for messages. */
static const char *what_is(Parser *p, char *buf, size_t n) {
  unsigned c;
  if (p->pos >= p->len)
    return "the end of the text";
  c = p->s[p->pos];
  if (c > 0x20 && c < 0x7f)
    snprintf(buf, n, "'%c'", c);
  else
    snprintf(buf, n, "byte 0x%02x", c);
  return buf;
}

static int expected(Parser *p, const char *what) {
  char buf[16];
  return perr(p, p->pos, "expected %s, found %s", what,
              what_is(p, buf, sizeof buf));
}

typedef struct Buf {
  char *p;
  size_t len, cap;
} Buf;

static int buf_put(Buf *b, const void *s, size_t n) {
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 16;
    char *grown;
    while (cap < b->len + n + 1)
      cap *= 2;
    grown = realloc(b->p, cap);
    if (!grown)
      return -1;
    b->p = grown;
    b->cap = cap;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
  return 0;
}

static int hex4(Parser *p, size_t at, unsigned *v) {
  *v = 0;
  if (p->len - at < 4)
    return -1;
  for (size_t i = at; i < at + 4; i++) {
    unsigned c = p->s[i], d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
      d = (c | 0x20) - 'a' + 10;
    else
      return -1;
    *v = *v * 16 + d;
  }
  return 0;
}

static size_t put_utf8(unsigned char *o, unsigned cp) {
  if (cp < 0x80) {
    o[0] = (unsigned char)cp;
    return 1;
  }
  if (cp < 0x800) {
    o[0] = (unsigned char)(0xc0 | cp >> 6);
    o[1] = (unsigned char)(0x80 | (cp & 0x3f));
    return 2;
  }
  if (cp < 0x10000) {
    o[0] = (unsigned char)(0xe0 | cp >> 12);
    o[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
    o[2] = (unsigned char)(0x80 | (cp & 0x3f));
    return 3;
  }
  o[0] = (unsigned char)(0xf0 | cp >> 18);
  o[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
  o[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
  o[3] = (unsigned char)(0x80 | (cp & 0x3f));
  return 4;
}

/* '\u' XXXX, with a surrogate pair as two of them; pos is at '\'. */
static int unicode_escape(Parser *p, Buf *b) {
  size_t at = p->pos;
  unsigned cp, lo;
  unsigned char o[4];
  if (hex4(p, at + 2, &cp) < 0)
    return perr(p, at, "'\\u' needs four hexadecimal digits");
  p->pos += 6;
  if (cp >= 0xdc00 && cp <= 0xdfff)
    return perr(p, at, "a low surrogate \\u%04x without a high one", cp);
  if (cp >= 0xd800 && cp <= 0xdbff) {
    if (p->len - p->pos < 6 || p->s[p->pos] != '\\' ||
        p->s[p->pos + 1] != 'u' || hex4(p, p->pos + 2, &lo) < 0 ||
        lo < 0xdc00 || lo > 0xdfff)
      return perr(p, at, "a high surrogate \\u%04x without a low one", cp);
    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
    p->pos += 6;
  }
  return buf_put(b, o, put_utf8(o, cp)) < 0 ?
    perr(p, at, "out of memory") : 0;
}

static int escape(Parser *p, Buf *b) {
  static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
  const char *k;
  if (p->pos + 1 >= p->len)
    return perr(p, p->pos, "the text ends inside a string");
  if (p->s[p->pos + 1] == 'u')
    return unicode_escape(p, b);
  k = p->s[p->pos + 1] ? strchr(from, p->s[p->pos + 1]) : NULL;
  if (!k)
    return perr(p, p->pos, "invalid escape '\\%c' in a string",
                p->s[p->pos + 1] > 0x20 && p->s[p->pos + 1] < 0x7f ?
                p->s[p->pos + 1] : '?');
  p->pos += 2;
  return buf_put(b, &to[k - from], 1) < 0 ? perr(p, p->pos, "out of memory")
                                          : 0;
}

/* string -> '"' chars '"'; pos is at the opening quote. */
static int parse_string(Parser *p, char **out, size_t *out_len) {
  size_t start = p->pos++;
  Buf b = {0};
  for (;;) {
    unsigned c;
    size_t n;
    if (p->pos >= p->len) {
      free(b.p);
      return perr(p, start, "a string that never ends");
    }
    c = p->s[p->pos];
    if (c == '"')
      break;
    if (c == '\\') {
      if (escape(p, &b) < 0) {
        free(b.p);
        return -1;
      }
      continue;
    }
    n = utf8_len(p->s + p->pos, p->len - p->pos);
    if (c < 0x20 || n == 0) {
      free(b.p);
      return perr(p, p->pos, c < 0x20 ? "control character 0x%02x in a "
                  "string" : "invalid UTF-8 byte 0x%02x in a string", c);
    }
    if (buf_put(&b, p->s + p->pos, n) < 0) {
      free(b.p);
      return perr(p, p->pos, "out of memory");
    }
    p->pos += n;
  }
  p->pos++;
  if (!b.p && buf_put(&b, "", 0) < 0)
    return perr(p, start, "out of memory");
  *out = b.p;
  *out_len = b.len;
  return 0;
}

static size_t digits(Parser *p) {
  size_t n = 0;
  while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
    p->pos++, n++;
  return n;
}

/* Digits only, no sign, fraction or exponent: the exact value when it
 * fits in 64 bits. */
static void whole_value(RtJsonValue *v, const unsigned char *s, size_t n) {
  uint64_t x = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned d = s[i] - '0';
    if (x > (UINT64_MAX - d) / 10)
      return;
    x = x * 10 + d;
  }
  v->is_uint = 1;
  v->uint_value = x;
}

static int number_value(Parser *p, RtJsonValue *v, size_t start) {
  size_t n = p->pos - start;
  char *text = malloc(n + 1);
  const char *point = localeconv()->decimal_point;
  if (!text)
    return perr(p, start, "out of memory");
  memcpy(text, p->s + start, n);
  text[n] = '\0';
  if (point[0] != '.' && point[0] && !point[1]) {
    char *dot = strchr(text, '.');      /* strtod reads the locale's */
    if (dot)
      *dot = point[0];
  }
  v->number = strtod(text, NULL);
  free(text);
  if (!isfinite(v->number))
    return perr(p, start, "number out of a double's range");
  return 0;
}

static int parse_number(Parser *p, RtJsonValue *v) {
  size_t start = p->pos, int_start;
  int plain = 1;
  if (p->s[p->pos] == '-')
    p->pos++, plain = 0;
  int_start = p->pos;
  if (p->pos < p->len && p->s[p->pos] == '0')
    p->pos++;
  else if (digits(p) == 0)
    return expected(p, "a digit");
  if (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
    return perr(p, int_start, "a number with a leading zero");
  if (p->pos < p->len && p->s[p->pos] == '.') {
    p->pos++, plain = 0;
    if (digits(p) == 0)
      return expected(p, "a digit after the decimal point");
  }
  if (p->pos < p->len && (p->s[p->pos] | 0x20) == 'e') {
    p->pos++, plain = 0;
    if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
      p->pos++;
    if (digits(p) == 0)
      return expected(p, "a digit in the exponent");
  }
  v->kind = RT_JSON_NUMBER;
  if (plain)
    whole_value(v, p->s + start, p->pos - start);
  return number_value(p, v, start);
}

static int parse_literal(Parser *p, RtJsonValue *v) {
  static const char *const names[] = {"true", "false", "null"};
  for (int i = 0; i < 3; i++) {
    size_t n = strlen(names[i]);
    if (p->len - p->pos >= n && memcmp(p->s + p->pos, names[i], n) == 0) {
      p->pos += n;
      v->kind = i == 2 ? RT_JSON_NULL : RT_JSON_BOOL;
      v->boolean = i == 0;
      return 0;
    }
  }
  return expected(p, "a value");
}

static int parse_value(Parser *p, RtJsonValue *v);

/* Makes room for one more item in v->items; the new one is zeroed. */
static RtJsonValue *new_item(Parser *p, RtJsonValue *v, size_t *cap) {
  if (v->count == *cap) {
    size_t n = *cap ? *cap * 2 : 4;
    RtJsonValue *grown = realloc(v->items, n * sizeof *grown);
    if (!grown) {
      perr(p, p->pos, "out of memory");
      return NULL;
    }
    v->items = grown;
    *cap = n;
  }
  memset(&v->items[v->count], 0, sizeof v->items[0]);
  return &v->items[v->count];
}

static int nest(Parser *p) {
  if (++p->depth > RT_JSON_MAX_DEPTH)
    return perr(p, p->pos, "nesting deeper than %d", RT_JSON_MAX_DEPTH);
  p->pos++;
  skip_ws(p);
  return 0;
}

/* After an item: ',' or the closing bracket; 1 at the end, 0 for more. */
static int item_end(Parser *p, char close, const char *what) {
  skip_ws(p);
  if (p->pos < p->len && p->s[p->pos] == ',') {
    p->pos++;
    return 0;
  }
  if (p->pos < p->len && p->s[p->pos] == close) {
    p->pos++;
    p->depth--;
    return 1;
  }
  return expected(p, what);
}

/* Reads one item of an array or an object into item; the container
 * holds the items read so far. */
typedef int ParseItem(Parser *p, RtJsonValue *container, RtJsonValue *item);

/* The items of an array or an object, up to the closing bracket; pos is
 * at the opening one.  after_item is what a message expects after an
 * item that neither ',' nor the bracket follows. */
static int parse_items(Parser *p, RtJsonValue *v, char close,
                       const char *after_item, ParseItem *parse_item) {
  size_t cap = 0;
  if (nest(p) < 0)
    return -1;
  if (p->pos < p->len && p->s[p->pos] == close) {
    p->pos++;
    p->depth--;
    return 0;
  }
  for (;;) {
    RtJsonValue *item = new_item(p, v, &cap);
    int end;
    if (!item)
      return -1;
    if (parse_item(p, v, item) < 0) {
      rt_json_value_free(item);
      return -1;
    }
    v->count++;
    if ((end = item_end(p, close, after_item)))
      return end < 0 ? -1 : 0;
  }
}

/* An array's element is a value; the elements before it do not matter. */
static int parse_element(Parser *p, RtJsonValue *array, RtJsonValue *item) {
  (void)array;
  return parse_value(p, item);
}

static int parse_array(Parser *p, RtJsonValue *v) {
  v->kind = RT_JSON_ARRAY;
  return parse_items(p, v, ']', "',' or ']' after an array element",
                     parse_element);
}

static int duplicate_key(const RtJsonValue *v, const RtJsonValue *item) {
  for (size_t i = 0; i < v->count; i++)
    if (v->items[i].key_len == item->key_len &&
        memcmp(v->items[i].key, item->key, item->key_len) == 0)
      return 1;
  return 0;
}

/* member -> string ws ':' value */
static int parse_member(Parser *p, RtJsonValue *v, RtJsonValue *item) {
  size_t at;
  skip_ws(p);
  at = p->pos;
  if (p->pos >= p->len || p->s[p->pos] != '"')
    return expected(p, "a string naming an object member");
  if (parse_string(p, &item->key, &item->key_len) < 0)
    return -1;
  if (duplicate_key(v, item))
    return perr(p, at, "duplicate key \"%.*s\"", (int)(p->pos - at - 2),
                (const char *)p->s + at + 1);
  skip_ws(p);
  if (p->pos >= p->len || p->s[p->pos] != ':')
    return expected(p, "':' after an object key");
  p->pos++;
  return parse_value(p, item);
}

static int parse_object(Parser *p, RtJsonValue *v) {
  v->kind = RT_JSON_OBJECT;
  return parse_items(p, v, '}', "',' or '}' after an object member",
                     parse_member);
}

static int parse_value(Parser *p, RtJsonValue *v) {
  skip_ws(p);
  v->offset = p->pos;
  if (p->pos >= p->len)
    return expected(p, "a value");
  switch (p->s[p->pos]) {
  case '{':
    return parse_object(p, v);
  case '[':
    return parse_array(p, v);
  case '"':
    v->kind = RT_JSON_STRING;
    return parse_string(p, &v->string, &v->string_len);
  case '-': case '0': case '1': case '2': case '3': case '4': case '5':
  case '6': case '7': case '8': case '9':
    return parse_number(p, v);
  default:
    return parse_literal(p, v);
  }
}

int rt_json_parse(const char *text, size_t len, RtJsonValue *out,
                  char *err, size_t errsz) {
  Parser p = {(const unsigned char *)text, len, 0, 0, err, errsz};
  memset(out, 0, sizeof *out);
  if (parse_value(&p, out) < 0) {
    rt_json_value_free(out);
    return -1;
  }
  skip_ws(&p);
  if (p.pos < len) {
    rt_json_value_free(out);
    return expected(&p, "the end of the text after the value");
  }
  return 0;
}

void rt_json_value_free(RtJsonValue *v) {
  for (size_t i = 0; i < v->count; i++)
    rt_json_value_free(&v->items[i]);
  free(v->items);
  free(v->key);
  free(v->string);
  memset(v, 0, sizeof *v);
}

const RtJsonValue *rt_json_member(const RtJsonValue *obj, const char *key) {
  size_t n = strlen(key);
  if (obj->kind != RT_JSON_OBJECT)
    return NULL;
  for (size_t i = 0; i < obj->count; i++)
    if (obj->items[i].key_len == n && memcmp(obj->items[i].key, key, n) == 0)
      return &obj->items[i];
  return NULL;
}
