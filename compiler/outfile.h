/* compiler/outfile.h — writing netc's output files (the executable, .o,
 * .h, .s, .ll) so that every failed write is reported, and a failed or
 * killed write never leaves a truncated file nor destroys the previous
 * one: the output goes to a temporary file beside it, renamed into place
 * once complete.  Standard output ("-") and paths that are not regular
 * files (/dev/full, /dev/stdout, a pipe, a terminal) are written in
 * place: renaming onto a device would replace its node.
 */
#ifndef NETC_OUTFILE_H
#define NETC_OUTFILE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct OutFile {
  const char *path;    /* as named on the command line; "-": stdout */
  const char *dest;    /* what is replaced: path, symbolic links followed */
  const char *tmp;     /* what is written: a temporary, or dest in place */
  bool in_place;
  int fd;              /* open on tmp, or -1 */
} OutFile;

/* Creates the file to write (f->tmp, open as f->fd); 0, or 1 after
 * reporting an error that names path. */
int outfile_begin(OutFile *f, const char *path);

/* The same, for a program that writes f->tmp itself (the linker):
 * the temporary is created, to reserve its name, and closed. */
int outfile_reserve(OutFile *f, const char *path);

/* Closes f->fd, when open, and moves the temporary into place; 0, or 1
 * after reporting an error (the temporary is then removed). */
int outfile_commit(OutFile *f);

/* Closes and removes the temporary after a failure reported elsewhere. */
void outfile_abandon(OutFile *f);

/* The whole of one output: begin, write the bytes, commit. */
int outfile_write(const char *path, const void *data, size_t len);

/* Flushes stdout (dumps, --help, -o -); 0, or 1 after reporting that a
 * write to it failed. */
int outfile_flush_stdout(void);

#endif
