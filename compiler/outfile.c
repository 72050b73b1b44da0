/* compiler/outfile.c — netc's output files, every write checked (see
 * outfile.h).
 *
 * Input: a path and the bytes of one output.  Output: the file, or an
 * error naming the path and the cause (strerror), and exit status 1.
 */
#include <config.h>

#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"

static bool is_stdout(const char *path) { return strcmp(path, "-") == 0; }

static int report_cause(const char *path, const char *cause) {
  if (is_stdout(path))
    diag_fatal_noloc("cannot write standard output: %s", cause);
  else
    diag_fatal_noloc("cannot write '%s': %s", path, cause);
  return 1;
}

static int report(const char *path, int err) {
  return report_cause(path, strerror(err));
}

int outfile_begin(OutFile *f, const char *path) {
  *f = (OutFile){.path = path, .dest = path, .tmp = path, .in_place = true,
                 .fd = -1};
  if (is_stdout(path)) {
    if (outfile_flush_stdout())
      return 1;
    f->fd = STDOUT_FILENO;
    return 0;
  }
  f->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  return f->fd < 0 ? report(path, errno) : 0;
}

/* Closes f->fd; 0, or the errno of the failure. */
static int close_fd(OutFile *f) {
  int fd = f->fd;
  f->fd = -1;
  if (fd < 0 || fd == STDOUT_FILENO)
    return 0;
  return close(fd) == 0 ? 0 : errno;
}

int outfile_commit(OutFile *f) {
  int err = close_fd(f);
  return err ? report(f->path, err) : 0;
}

void outfile_abandon(OutFile *f) {
  close_fd(f);
}

static int write_all(int fd, const char *p, size_t len) {
  while (len > 0) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return n < 0 ? errno : EIO;
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

int outfile_write(const char *path, const void *data, size_t len) {
  OutFile f;
  if (outfile_begin(&f, path))
    return 1;
  int err = write_all(f.fd, data, len);
  if (err) {
    outfile_abandon(&f);
    return report(path, err);
  }
  return outfile_commit(&f);
}

int outfile_flush_stdout(void) {
  errno = 0;
  if (fflush(stdout) == 0 && !ferror(stdout))
    return 0;
  if (errno == 0)       /* an earlier write failed; stdio kept no cause */
    return report_cause("-", "a write failed");
  return report("-", errno);
}
