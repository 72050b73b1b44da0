/* tests/runtime/test_ckpt.c — safetensors checkpoints: the exact bytes
 * written, a round trip, refusal of mismatched tensors, a writer killed
 * at random moments (the file is always the old or the new checkpoint,
 * and the next save removes the temporaries it left), every header byte
 * changed and every truncation (a clean error, never a crash), and
 * hand-made headers breaking each rule. */
#include <config.h>

#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "rt_ckpt.h"
#include "rt_test.h"

static char err[512];

static const float w_data[6] = {0, 1, 2, 3, 4, 5};
static const int64_t step_data[1] = {7};
static const double m_data[2] = {0.5, -1};

static const RtTensor sample[] = {
  {"w", RT_DTYPE_F32, 2, {2, 3}, w_data},
  {"step", RT_DTYPE_I64, 0, {0}, step_data},
  {"m", RT_DTYPE_F64, 1, {2}, m_data},
  {"empty", RT_DTYPE_F32, 2, {0, 5}, NULL},
};
static const RtMeta sample_meta[] = {
  {"model", "mlp"},
  {"note", "a \"q\"\n \xc3\xa9"},
};

static const char sample_header[] =
  "{\"__metadata__\":{\"model\":\"mlp\",\"note\":\"a \\\"q\\\"\\n \xc3\xa9\"},"
  "\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
  "\"step\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[24,32]},"
  "\"m\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[32,48]},"
  "\"empty\":{\"dtype\":\"F32\",\"shape\":[0,5],\"data_offsets\":[48,48]}}";

static uint64_t le64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--)
    v = v << 8 | p[i];
  return v;
}

static void test_bytes(void) {
  const char *path = in_dir("a.safetensors");
  size_t n, h = strlen(sample_header), padded = (h + 7) / 8 * 8;
  unsigned char *b;
  int spaces = 1;
  ok(rt_ckpt_write(path, sample, 4, sample_meta, 2, err, sizeof err) == 0,
     "written");
  b = read_bytes(path, &n);
  ok(b && n == 8 + padded + 48, "8 + %zu + 48 bytes", padded);
  ok(b && le64(b) == padded && (8 + padded) % 8 == 0,
     "the header length, little-endian; the data 8-aligned");
  ok(b && memcmp(b + 8, sample_header, h) == 0, "the header's JSON");
  for (size_t i = h; b && i < padded; i++)
    spaces &= b[8 + i] == ' ';
  ok(spaces, "padded with spaces");
  ok(b && memcmp(b + 8 + padded, w_data, 24) == 0 &&
     memcmp(b + 8 + padded + 24, step_data, 8) == 0 &&
     memcmp(b + 8 + padded + 32, m_data, 16) == 0,
     "the data, in order (little-endian host)");
  free(b);
}

static void test_round_trip(void) {
  RtCkpt ck;
  const RtTensor *t;
  ok(rt_ckpt_read(&ck, in_dir("a.safetensors"), err, sizeof err) == 0,
     "read back");
  ok(ck.count == 4 && ck.nmeta == 2, "4 tensors, 2 metadata");
  t = rt_ckpt_find(&ck, "w");
  ok(t && t->dtype == RT_DTYPE_F32 && t->ndim == 2 && t->shape[0] == 2 &&
     t->shape[1] == 3 && memcmp(t->data, w_data, 24) == 0, "w");
  t = rt_ckpt_find(&ck, "step");
  ok(t && t->dtype == RT_DTYPE_I64 && t->ndim == 0 &&
     *(const int64_t *)t->data == 7, "a scalar step");
  t = rt_ckpt_find(&ck, "m");
  ok(t && t->dtype == RT_DTYPE_F64 && memcmp(t->data, m_data, 16) == 0,
     "m in double");
  t = rt_ckpt_find(&ck, "empty");
  ok(t && t->ndim == 2 && t->shape[0] == 0 && t->shape[1] == 5,
     "an empty tensor");
  ok(rt_ckpt_find(&ck, "nope") == NULL, "an unknown name");
  is_str(rt_ckpt_meta(&ck, "model"), "mlp", "metadata model");
  is_str(rt_ckpt_meta(&ck, "note"), sample_meta[1].value, "escapes");
  ok(rt_ckpt_meta(&ck, "seed") == NULL, "unknown metadata");
  rt_ckpt_free(&ck);
  ok(ck.tensors == NULL && ck.count == 0, "freed");
}

static void test_get(void) {
  RtCkpt ck;
  float w[6] = {0};
  const int64_t right[2] = {2, 3}, wrong[2] = {3, 2};
  char want[700];
  rt_ckpt_read(&ck, in_dir("a.safetensors"), err, sizeof err);
  ok(rt_ckpt_get(&ck, "w", RT_DTYPE_F32, 2, right, w, err, sizeof err) ==
     0 && memcmp(w, w_data, sizeof w) == 0, "get copies a tensor");
  ok(rt_ckpt_get(&ck, "w", RT_DTYPE_F32, 2, wrong, w, err, sizeof err) ==
     -1, "a shape mismatch is refused");
  snprintf(want, sizeof want, "%s: tensor 'w' has shape [2, 3]; expected "
           "[3, 2]", in_dir("a.safetensors"));
  is_str(err, want, "and named");
  ok(rt_ckpt_get(&ck, "w", RT_DTYPE_F32, 1, right, w, err, sizeof err) ==
     -1, "a rank mismatch");
  has(err, "has shape [2, 3]; expected [2]", "says both shapes");
  ok(rt_ckpt_get(&ck, "w", RT_DTYPE_F64, 2, right, w, err, sizeof err) ==
     -1, "a dtype mismatch");
  has(err, "tensor 'w' is F32; expected F64", "says both dtypes");
  ok(rt_ckpt_get(&ck, "W1", RT_DTYPE_F32, 2, right, w, err, sizeof err) ==
     -1, "a missing tensor");
  has(err, "no tensor 'W1'", "named");
  rt_ckpt_free(&ck);
}

static int temp_files_left(void) {
  DIR *d = opendir(test_dir);
  struct dirent *e;
  int n = 0;
  while (d && (e = readdir(d)))
    n += strstr(e->d_name, ".tmp") != NULL;
  if (d)
    closedir(d);
  return n;
}

static void test_write_errors(void) {
  const char *path = in_dir("a.safetensors");
  RtTensor dup[2] = {sample[0], sample[0]};
  RtTensor meta_name = sample[0];
  RtMeta no_value = {"k", NULL};
  RtCkpt ck;
  ok(rt_ckpt_write(path, dup, 2, NULL, 0, err, sizeof err) == -1,
     "two tensors of one name");
  has(err, "two tensors are named 'w'", "says so");
  meta_name.name = "__metadata__";
  ok(rt_ckpt_write(path, &meta_name, 1, NULL, 0, err, sizeof err) == -1,
     "a tensor named __metadata__");
  ok(rt_ckpt_write(path, sample, 1, &no_value, 1, err, sizeof err) == -1,
     "metadata without a value");
  ok(rt_ckpt_write(path, sample, 1, (RtMeta[]){{"k", "a"}, {"k", "b"}}, 2,
                   err, sizeof err) == -1, "two metadata of one key");
  has(err, "two metadata are named 'k'", "says so");
  meta_name = sample[0];
  meta_name.data = NULL;
  ok(rt_ckpt_write(path, &meta_name, 1, NULL, 0, err, sizeof err) == -1,
     "a tensor without data");
  has(err, "tensor 'w' has no data", "says so");
  ok(rt_ckpt_write(in_dir("no/such/dir/c"), sample, 1, NULL, 0, err,
                   sizeof err) == -1, "a missing directory");
  has(err, "cannot create", "cannot create the temporary file");
  ok(rt_ckpt_read(&ck, path, err, sizeof err) == 0 && ck.count == 4,
     "failed writes left the previous checkpoint");
  rt_ckpt_free(&ck);
  ok(rt_ckpt_write(path, sample + 2, 1, NULL, 0, err, sizeof err) == 0 &&
     rt_ckpt_read(&ck, path, err, sizeof err) == 0 && ck.count == 1 &&
     ck.nmeta == 0, "a new checkpoint replaces the old one");
  rt_ckpt_free(&ck);
  ok(temp_files_left() == 0, "no temporary file left behind");
}

/* The writer killed at random moments: the file always reads back as
 * one of the two checkpoints it alternates. */
static void test_killed_writer(void) {
  enum { N = 1 << 16 };
  float *a = malloc(N * sizeof *a), *b = malloc(N * sizeof *b);
  RtTensor ta = {"x", RT_DTYPE_F32, 1, {N}, a}, tb = ta;
  const char *path = in_dir("k.safetensors");
  int good = 0, rounds = 20;
  for (int i = 0; i < N; i++)
    a[i] = (float)i, b[i] = (float)-i;
  tb.data = b;
  rt_ckpt_write(path, &ta, 1, NULL, 0, err, sizeof err);
  srand(1);
  for (int r = 0; r < rounds; r++) {
    struct timespec nap = {0, 1000000L * (1 + rand() % 20)};
    RtCkpt ck;
    pid_t pid = fork();
    if (pid == 0) {
      for (int i = 0;; i++)
        rt_ckpt_write(path, i % 2 ? &ta : &tb, 1, NULL, 0, NULL, 0);
    }
    nanosleep(&nap, NULL);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    if (rt_ckpt_read(&ck, path, err, sizeof err) == 0 && ck.count == 1 &&
        (memcmp(ck.tensors[0].data, a, N * sizeof *a) == 0 ||
         memcmp(ck.tensors[0].data, b, N * sizeof *b) == 0))
      good++;
    else
      printf("# round %d: %s\n", r, err);
    rt_ckpt_free(&ck);
  }
  ok(good == rounds, "a writer killed %d times: always a whole checkpoint",
     rounds);
  free(a);
  free(b);
}

/* A process id that no process has: a child's, once it has exited. */
static pid_t dead_pid(void) {
  pid_t pid = fork();
  if (pid == 0)
    _exit(0);
  waitpid(pid, NULL, 0);
  return pid;
}

static int exists(const char *name) {
  struct stat st;
  return stat(in_dir(name), &st) == 0;
}

/* The temporaries of saves killed mid-way go at the next save of the
 * same checkpoint; a live process's, and other files, stay. */
static void test_stale_temps(void) {
  char stale[64], stale2[64], live[64], other[64], odd[64];
  pid_t dead = dead_pid();
  snprintf(stale, sizeof stale, "s.ckpt.tmp%ld.0", (long)dead);
  snprintf(stale2, sizeof stale2, "s.ckpt.tmp%ld.12", (long)dead);
  snprintf(live, sizeof live, "s.ckpt.tmp%ld.0", (long)getppid());
  snprintf(other, sizeof other, "t.ckpt.tmp%ld.0", (long)dead);
  snprintf(odd, sizeof odd, "s.ckpt.tmp%ldx.0", (long)dead);
  write_bytes(in_dir(stale), "torn", 4);
  write_bytes(in_dir(stale2), "torn", 4);
  write_bytes(in_dir(live), "writing", 7);
  write_bytes(in_dir(other), "torn", 4);
  write_bytes(in_dir(odd), "mine", 4);
  write_bytes(in_dir("s.ckpt.tmp"), "mine", 4);
  ok(rt_ckpt_write(in_dir("s.ckpt"), sample, 1, NULL, 0, err,
                   sizeof err) == 0, "a save beside stale temporaries");
  ok(!exists(stale) && !exists(stale2),
     "removes the temporaries of a process that has exited");
  ok(exists(live), "keeps the temporary of a live process");
  ok(exists(other), "keeps another checkpoint's temporaries");
  ok(exists(odd) && exists("s.ckpt.tmp"),
     "keeps files that only look like temporaries");
  remove(in_dir(live));
  remove(in_dir(other));
  remove(in_dir(odd));
  remove(in_dir("s.ckpt.tmp"));
  printf("# the killed writer left %d temporaries\n", temp_files_left());
  ok(rt_ckpt_write(in_dir("k.safetensors"), sample, 1, NULL, 0, err,
                   sizeof err) == 0 && temp_files_left() == 0,
     "a save after the killed writer removes what it left");
}

static int read_bytes_as(const unsigned char *b, size_t n) {
  RtCkpt ck;
  int rc;
  write_bytes(in_dir("c.safetensors"), b, n);
  rc = rt_ckpt_read(&ck, in_dir("c.safetensors"), err, sizeof err);
  rt_ckpt_free(&ck);
  return rc;
}

/* Every byte of the length and the header replaced by several values. */
static void test_header_bytes(void) {
  static const unsigned char values[] = {0xff, '{', '}', '[', ']', '"', ',',
                                         ':', '0', '9', ' ', '\\', 0, 'x'};
  size_t n, h, refused = 0, silent = 0, tries = 0;
  unsigned char *b;
  rt_ckpt_write(in_dir("a.safetensors"), sample, 4, sample_meta, 2, err,
                sizeof err);
  b = read_bytes(in_dir("a.safetensors"), &n);
  h = b ? 8 + le64(b) : 0;
  for (size_t i = 0; i < h; i++)
    for (size_t v = 0; v < sizeof values; v++) {
      unsigned char keep = b[i];
      int rc;
      if (keep == values[v])
        continue;
      b[i] = values[v];
      rc = read_bytes_as(b, n);
      b[i] = keep;
      tries++;
      refused += rc == -1;
      silent += rc == -1 && err[0] == '\0';
    }
  ok(b && refused > tries * 9 / 10 && silent == 0, "%zu header bytes "
     "changed %zu ways: %zu refused, each with a message", h, tries,
     refused);
  b[4] = 1;
  ok(read_bytes_as(b, n) == -1, "a header length over 100 MB");
  has(err, "not a safetensors file: its header length 42949", "is refused");
  has(err, "exceeds 100 MB", "as such");
  free(b);
}

static void test_truncated(void) {
  size_t n, bad = 0;
  unsigned char *b = read_bytes(in_dir("a.safetensors"), &n);
  for (size_t len = 0; b && len < n; len++)
    if (read_bytes_as(b, len) != -1 || !strstr(err, "truncated"))
      bad++, printf("# cut at %zu: %s\n", len, err);
  ok(b && bad == 0, "cut at each of %zu lengths: 'truncated'", n);
  b = realloc(b, n + 3);
  memset(b + n, 0, 3);
  ok(read_bytes_as(b, n + 3) == -1, "3 bytes appended");
  has(err, "3 bytes follow the last tensor's data", "says so");
  free(b);
}

/* A file of the header text and data_len zero bytes. */
static int crafted(const char *header, size_t data_len) {
  size_t h = strlen(header), n = 8 + h + data_len;
  unsigned char *b = calloc(n, 1);
  int rc;
  for (int i = 0; i < 8; i++)
    b[i] = (unsigned char)((uint64_t)h >> (8 * i));
  memcpy(b + 8, header, h);
  rc = read_bytes_as(b, n);
  free(b);
  return rc;
}

static void bad_header(const char *header, size_t data_len,
                       const char *phrase) {
  ok(crafted(header, data_len) == -1, "refused: %s", phrase);
  has(err, phrase, "message: %s", phrase);
}

#define T(name, dtype, shape, offsets) \
  "\"" name "\":{\"dtype\":\"" dtype "\",\"shape\":" shape \
  ",\"data_offsets\":" offsets "}"

static void test_bad_headers(void) {
  RtCkpt ck;
  ok(crafted("{}", 0) == 0, "no tensors at all is a valid file");
  ok(crafted("{" T("a", "F32", "[2]", "[0,8]") "}   ", 8) == 0,
     "a hand-made file with padding");
  bad_header("{" T("a", "F32", "[2]", "[0,8]") "," T("b", "F32", "[2]",
             "[4,12]") "}", 12, "tensors 'a' and 'b' overlap");
  bad_header("{" T("a", "F32", "[2]", "[0,8]") "," T("b", "F32", "[2]",
             "[12,20]") "}", 20, "data bytes 8..12 belong to no tensor");
  bad_header("{" T("a", "BF16", "[2]", "[0,4]") "}", 4,
             "tensor 'a': dtype \"BF16\" is not one netc reads");
  bad_header("{" T("a", "F32", "[-1]", "[0,4]") "}", 4,
             "each dimension must be a whole number");
  bad_header("{" T("a", "F32", "[2.0]", "[0,8]") "}", 8,
             "each dimension must be a whole number");
  bad_header("{" T("a", "F32", "[3]", "[0,8]") "}", 8,
             "tensor 'a': data_offsets span 8 bytes but F32 [3] needs 12");
  bad_header("{" T("a", "F32", "[2]", "[8,0]") "}", 8,
             "end before they begin");
  bad_header("{" T("a", "F32", "[2]", "[0]") "}", 8,
             "\"data_offsets\" must be [begin, end]");
  bad_header("{" T("a", "F32", "[2]", "[0,8]") "}", 4,
             "truncated: tensor 'a' needs data bytes 0..8 but the file "
             "holds 4");
  bad_header("{" T("a", "F32", "[4294967296,4294967296,16]", "[0,8]") "}",
             8, "its shape is too large");
  bad_header("{" T("a", "F32", "[1,1,1,1,1,1,1,1,1]", "[0,4]") "}", 4,
             "9 dimensions; at most 8");
  bad_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":"
             "[0,4],\"extra\":1}}", 4, "tensor 'a': unknown field \"extra\"");
  bad_header("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
             "\"dtype\" must be a string");
  bad_header("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4,
             "\"shape\" must be an array");
  bad_header("{\"a\":1}", 0, "tensor 'a' is not an object");
  bad_header("{\"__metadata__\":{\"k\":1}}", 0,
             "metadata \"k\" is not a string");
  bad_header("{\"__metadata__\":[]}", 0, "must be an object of strings");
  bad_header("{\"__metadata__\":{\"k\":\"a\\u0000b\"}}", 0,
             "holds a NUL character");
  bad_header("{" T("a\\u0000b", "F32", "[1]", "[0,4]") "}", 4,
             "a tensor name holds a NUL character");
  bad_header("{" T("a", "F32", "[1]", "[0,4]") "," T("a", "F32", "[1]",
             "[4,8]") "}", 8, "duplicate key \"a\"");
  bad_header("[]", 0, "the header is not a JSON object");
  bad_header("", 0, "the header is not a JSON object");
  bad_header("{\"a\":}", 0, "header JSON, line 1, column 6: expected a "
             "value");
  ok(rt_ckpt_read(&ck, test_dir, err, sizeof err) == -1, "a directory");
  has(err, "not a regular file", "is not a checkpoint");
  ok(rt_ckpt_read(&ck, in_dir("missing"), err, sizeof err) == -1,
     "a missing file");
  has(err, "cannot open", "cannot be opened");
}

int main(void) {
  make_test_dir();
  test_bytes();
  test_round_trip();
  test_get();
  test_write_errors();
  test_killed_writer();
  test_stale_temps();
  test_header_bytes();
  test_truncated();
  test_bad_headers();
  remove_test_dir();
  return tap_done();
}
