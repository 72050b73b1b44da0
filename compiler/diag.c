/* compiler/diag.c — reading source files and printing diagnostics.
 *
 * A diagnostic prints like a C compiler's:
 *
 *   models/mlp.net:12:7: error: cannot add float[3] and float[4]
 *      12 |   h = x + b
 *         |       ^~~~~
 *
 * After MAX_ERRORS errors further ones are dropped, so a file of garbage
 * gives a screenful, not a flood.
 */
#include <config.h>

#include "diag.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

enum { MAX_ERRORS = 20 };

static int n_errors;
static int suppressed;        /* the limit was hit: drop everything after */
static DiagSink *sink;
static void *sink_ctx;
static int use_color;

SrcFile *src_from_string(const char *name, const char *text, size_t len) {
  SrcFile *f = arena_new(SrcFile);
  char *copy = arena_alloc(len + 1);
  memcpy(copy, text, len);
  copy[len] = '\0';
  f->name = arena_strdup(name);
  f->text = copy;
  f->len = len;
  return f;
}

/* Reads the whole of path; a missing, unreadable or non-regular file is a
 * user error, reported here. */
SrcFile *src_read(const char *path) {
  FILE *fp = fopen(path, "rb");
  if (!fp) {
    diag_fatal_noloc("cannot open '%s': %s", path, strerror(errno));
    return NULL;
  }
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  for (;;) {
    if (!buf) {
      fclose(fp);
      diag_fatal_noloc("'%s': out of memory", path);
      return NULL;
    }
    len += fread(buf + len, 1, cap - len, fp);
    if (len < cap)
      break;
    cap *= 2;
    char *grown = realloc(buf, cap);
    if (!grown)
      free(buf);
    buf = grown;
  }
  int failed = ferror(fp);
  int err = errno;
  fclose(fp);
  if (failed) {
    free(buf);
    diag_fatal_noloc("cannot read '%s': %s", path, strerror(err));
    return NULL;
  }
  SrcFile *f = src_from_string(path, buf, len);
  free(buf);
  return f;
}

SrcLoc loc_span(SrcLoc from, SrcLoc to) {
  SrcLoc l = from;
  if (to.file == from.file && (to.end_line > from.end_line ||
      (to.end_line == from.end_line && to.end_col > from.end_col))) {
    l.end_line = to.end_line;
    l.end_col = to.end_col;
  }
  return l;
}

int diag_error_count(void) { return n_errors; }
int diag_exit_code(void) { return n_errors > 0; }
int diag_too_many(void) { return suppressed; }
void diag_set_color(int on) { use_color = on; }

void diag_reset(void) {
  n_errors = 0;
  suppressed = 0;
}

void diag_set_sink(DiagSink *fn, void *ctx) {
  sink = fn;
  sink_ctx = ctx;
}

/* Returns the start of line `line` (1-based) and its length, without the
 * newline; NULL when the file has fewer lines. */
static const char *find_line(const SrcFile *f, int line, size_t *len) {
  const char *p = f->text, *end = f->text + f->len;
  for (int i = 1; i < line; i++) {
    p = memchr(p, '\n', (size_t)(end - p));
    if (!p)
      return NULL;
    p++;
  }
  const char *nl = memchr(p, '\n', (size_t)(end - p));
  *len = (size_t)((nl ? nl : end) - p);
  if (*len > 0 && p[*len - 1] == '\r')
    (*len)--;
  return p;
}

/* The part of a long source line that a diagnostic shows: a window of
 * WINDOW columns around the range, so a 1 MB line prints one screenful. */
enum { WINDOW = 120, BEFORE = 40 };

typedef struct Excerpt {
  size_t from, to;       /* byte offsets into the line */
  bool cut_left, cut_right;
} Excerpt;

static Excerpt excerpt(size_t len, int col) {
  Excerpt e = {0, len, false, false};
  if (len <= WINDOW)
    return e;
  size_t c = col > 0 ? (size_t)col - 1 : 0;
  if (c > BEFORE) {
    e.from = c - BEFORE;
    e.cut_left = true;
  }
  if (e.from + WINDOW < len) {
    e.to = e.from + WINDOW;
    e.cut_right = true;
  }
  return e;
}

/* Prints a source line with control bytes and non-ASCII shown as '?', so
 * the caret stays under the right column and the terminal stays sane. */
static void print_source_line(FILE *out, const char *p, Excerpt ex) {
  if (ex.cut_left)
    fputs("...", out);
  for (size_t i = ex.from; i < ex.to; i++) {
    unsigned char c = (unsigned char)p[i];
    fputc(c == '\t' ? ' ' : (c < 32 || c > 126) ? '?' : c, out);
  }
  if (ex.cut_right)
    fputs("...", out);
  fputc('\n', out);
}

static void print_caret(FILE *out, const Diag *d, size_t line_len,
                        Excerpt ex) {
  long first = d->at.col, last = d->at.end_line == d->at.line
      ? d->at.end_col : (long)line_len;
  if (last < first)
    last = first;
  if (last > (long)line_len && first <= (long)line_len)
    last = line_len > 0 ? (long)line_len : first;
  long shift = (long)ex.from - (ex.cut_left ? 3 : 0);
  first -= shift;
  last -= shift;
  long right = (long)(ex.to - ex.from) + (ex.cut_left ? 3 : 0);
  if (last > right)
    last = right > first ? right : first;
  for (long i = 1; i < first; i++)
    fputc(' ', out);
  if (use_color)
    fputs("\033[1;32m", out);
  fputc('^', out);
  for (long i = first; i < last; i++)
    fputc('~', out);
  if (use_color)
    fputs("\033[0m", out);
  fputc('\n', out);
}

static const char *level_name(DiagLevel level) {
  switch (level) {
  case DIAG_ERROR: return "error";
  case DIAG_WARNING: return "warning";
  case DIAG_NOTE: return "note";
  }
  UNREACHABLE();
}

static const char *level_color(DiagLevel level) {
  switch (level) {
  case DIAG_ERROR: return "\033[1;31m";
  case DIAG_WARNING: return "\033[1;35m";
  case DIAG_NOTE: return "\033[1;36m";
  }
  UNREACHABLE();
}

static void print_diag(const Diag *d) {
  FILE *out = stderr;
  const char *name = d->at.file ? d->at.file->name : "netc";
  if (use_color)
    fputs("\033[1m", out);
  if (d->at.file)
    fprintf(out, "%s:%d:%d: ", name, d->at.line, d->at.col);
  else
    fprintf(out, "%s: ", name);
  if (use_color)
    fprintf(out, "%s%s:\033[0m\033[1m %s\033[0m\n", level_color(d->level),
            level_name(d->level), d->msg);
  else
    fprintf(out, "%s: %s\n", level_name(d->level), d->msg);
  if (!d->at.file)
    return;
  size_t len;
  const char *line = find_line(d->at.file, d->at.line, &len);
  if (!line)
    return;
  Excerpt ex = excerpt(len, d->at.col);
  fprintf(out, "%5d | ", d->at.line);
  print_source_line(out, line, ex);
  fputs("      | ", out);
  print_caret(out, d, len, ex);
}

static void emit(DiagLevel level, SrcLoc at, const char *msg) {
  static char buf[BUFSIZ];
  static bool buffered;
  Diag d = {level, at, msg};
  if (sink) {
    sink(&d, sink_ctx);
    return;
  }
  if (!buffered) {    /* stderr is unbuffered: one write per diagnostic */
    setvbuf(stderr, buf, _IOFBF, sizeof buf);
    buffered = true;
  }
  print_diag(&d);
  fflush(stderr);
}

void diag_vreport(DiagLevel level, SrcLoc at, const char *fmt, va_list ap) {
  if (suppressed)
    return;
  if (level == DIAG_ERROR && n_errors == MAX_ERRORS) {
    suppressed = 1;
    emit(DIAG_ERROR, (SrcLoc){0}, "too many errors, stopping");
    return;
  }
  char buf[1024];
  vsnprintf(buf, sizeof buf, fmt, ap);
  if (level == DIAG_ERROR)
    n_errors++;
  emit(level, at, buf);
}

void diag_error(SrcLoc at, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  diag_vreport(DIAG_ERROR, at, fmt, ap);
  va_end(ap);
}

void diag_warn(SrcLoc at, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  diag_vreport(DIAG_WARNING, at, fmt, ap);
  va_end(ap);
}

void diag_note(SrcLoc at, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  diag_vreport(DIAG_NOTE, at, fmt, ap);
  va_end(ap);
}

void diag_fatal_noloc(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  diag_vreport(DIAG_ERROR, (SrcLoc){0}, fmt, ap);
  va_end(ap);
}

noreturn void die_at(const char *file, int line, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "netc: internal error at %s:%d: ", file, line);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  abort();
}
