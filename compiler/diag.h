/* compiler/diag.h — source files, locations and user-facing diagnostics.
 *
 * Every stage reports problems in the input through diag_error(); only
 * diag.c writes them to stderr.  Internal errors (our bugs) go through DIE
 * and never through diag_error.
 */
#ifndef NETC_DIAG_H
#define NETC_DIAG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdnoreturn.h>

typedef struct SrcFile {
  const char *name;    /* as given on the command line, or "<prelude>" */
  const char *text;    /* whole file, NUL-terminated (may hold other NULs) */
  size_t len;          /* bytes, without the terminating NUL */
} SrcFile;

/* A range of source text; lines and columns are 1-based, columns count
 * bytes.  end_col is the column of the last byte, inclusive. */
typedef struct SrcLoc {
  const SrcFile *file;
  int line, col;
  int end_line, end_col;
} SrcLoc;

typedef enum DiagLevel {
  DIAG_ERROR,
  DIAG_WARNING,
  DIAG_NOTE,
} DiagLevel;

typedef struct Diag {
  DiagLevel level;
  SrcLoc at;           /* at.file == NULL: no location (command line) */
  const char *msg;
} Diag;

typedef void DiagSink(const Diag *d, void *ctx);

SrcFile *src_read(const char *path);      /* NULL after reporting an error */
SrcFile *src_from_string(const char *name, const char *text, size_t len);

SrcLoc loc_span(SrcLoc from, SrcLoc to);  /* from's start to to's end */

void diag_error(SrcLoc at, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void diag_warn(SrcLoc at, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void diag_note(SrcLoc at, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void diag_vreport(DiagLevel level, SrcLoc at, const char *fmt, va_list ap);

/* Errors without a source location (command line, files). */
void diag_fatal_noloc(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

int diag_error_count(void);
int diag_exit_code(void);                 /* 0, or 1 after any error */
int diag_too_many(void);                  /* the error limit was reached */
void diag_reset(void);
void diag_set_sink(DiagSink *fn, void *ctx); /* NULL: print to stderr */
void diag_set_color(int on);

noreturn void die_at(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define DIE(...) die_at(__FILE__, __LINE__, __VA_ARGS__)
#define UNREACHABLE() DIE("unreachable")

#endif
