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
#include <sys/stat.h>
#include <unistd.h>

#include "arena.h"
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

/* Standard output, what is not a regular file, and the names of file
 * descriptors (/dev/stdout, /proc/self/fd/1), which may stand for a
 * regular file, are written in place. */
static bool in_place(const char *path) {
  struct stat st;
  if (is_stdout(path) || strncmp(path, "/dev/", 5) == 0 ||
      strncmp(path, "/proc/", 6) == 0)
    return true;
  return stat(path, &st) == 0 && !S_ISREG(st.st_mode) &&
         !S_ISDIR(st.st_mode);   /* a directory: rename says EISDIR */
}

/* What the rename replaces: the file that path's symbolic links lead
 * to, which need not exist yet, so that a link stays a link. */
static const char *destination(const char *path) {
  const char *dest = path;
  char target[4096];
  for (int hops = 0; hops < 40; hops++) {
    ssize_t n = readlink(dest, target, sizeof target - 1);
    if (n < 0)
      break;             /* not a link (or not there): dest itself */
    target[n] = '\0';
    const char *slash = strrchr(dest, '/');
    if (target[0] == '/' || !slash)
      dest = arena_strdup(target);
    else                 /* relative to the link's directory */
      dest = arena_printf("%.*s/%s", (int)(slash - dest), dest, target);
  }
  return dest;
}

static void init(OutFile *f, const char *path) {
  *f = (OutFile){.path = path, .dest = path, .tmp = path, .fd = -1};
  f->in_place = in_place(path);
  if (!f->in_place)
    f->dest = destination(path);
}

/* Creates dest.tmpPID.N, a name no other file has, beside dest (a rename
 * stays within one file system). */
static int create_temp(OutFile *f) {
  for (unsigned i = 0; i < 1000; i++) {
    f->tmp = arena_printf("%s.tmp%ld.%u", f->dest, (long)getpid(), i);
    f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (f->fd >= 0)
      return 0;
    if (errno != EEXIST)
      break;
  }
  diag_fatal_noloc("cannot write '%s': cannot create its temporary '%s': "
                   "%s", f->path, f->tmp, strerror(errno));
  return 1;
}

int outfile_begin(OutFile *f, const char *path) {
  init(f, path);
  if (!f->in_place)
    return create_temp(f);
  if (is_stdout(path)) {
    if (outfile_flush_stdout())
      return 1;
    f->fd = STDOUT_FILENO;
    return 0;
  }
  f->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  return f->fd < 0 ? report(path, errno) : 0;
}

int outfile_reserve(OutFile *f, const char *path) {
  init(f, path);
  if (f->in_place)
    return 0;
  if (create_temp(f))
    return 1;
  close(f->fd);
  f->fd = -1;
  return 0;
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
  if (!err && !f->in_place && rename(f->tmp, f->dest) != 0)
    err = errno;
  if (!err)
    return 0;
  outfile_abandon(f);
  return report(f->path, err);
}

void outfile_abandon(OutFile *f) {
  close_fd(f);
  if (!f->in_place)
    unlink(f->tmp);
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
