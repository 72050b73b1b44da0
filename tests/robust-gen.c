/* tests/robust-gen.c — writes the bad inputs that tests/robust.sh feeds
 * to netc.
 *
 *   robust-gen OUTDIR [SEED-FILE...]
 *
 * Each class of input goes to its own directory OUTDIR/CLASS/, and
 * OUTDIR/classes.txt lists the classes, one a line:
 *
 *   CLASS MODE DESCRIPTION
 *
 * MODE "bad": every input is invalid, so netc must exit 1 with an error.
 * MODE "any": the input may happen to be valid (a truncated or mutated
 * model), so netc may also exit 0, but without an error.
 *
 * The SEED-FILEs (the models and examples) are truncated, mutated and
 * edited; a small built-in model joins them.  Everything comes from a
 * fixed seed (env ROBUST_SEED, default 1), so a failure reproduces.  The
 * number of inputs is about ROBUST_CASES (default 3000).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct Buf {
  char *p;
  size_t len, cap;
} Buf;

typedef struct Seed {
  const char *name;   /* base name without .net, for file names */
  char *text;
  size_t len;
} Seed;

enum { MAX_SEEDS = 256, MB = 1 << 20 };

static const char *outdir;
static FILE *classes;
static Seed seeds[MAX_SEEDS];
static int nseeds;
static uint64_t rng_state;
static int file_no;

static const char builtin_seed[] =
  "model seed\n"
  "data mnist(path = \"data/mnist\")\n"
  "input x : float[784]      # one image\n"
  "target y : class[10]\n"
  "const hidden = 64\n"
  "layer affine(v : float[n], units, bias = true) {\n"
  "  param W : float[units, n] = xavier_uniform\n"
  "  param b : float[units] = zeros if bias\n"
  "  return W @ v + b\n"
  "}\n"
  "h = sigmoid(affine(x, hidden))\n"
  "z = affine(h, 10)\n"
  "loss cross_entropy(z, y, batch = sum)\n"
  "train {\n"
  "  optimizer sgd(lr = 1e-3, momentum = 0.9)\n"
  "  batch 128\n"
  "  epochs 200\n"
  "  clip norm(5.0)\n"
  "}\n";

static const char *const keywords[] = {
  "model", "const", "input", "target", "param", "layer", "return", "loss",
  "train",
};

/* ---------------------------------------------------------------------
 * Utilities
 */
static void die(const char *fmt, ...) {
  va_list ap;
  fputs("robust-gen: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  exit(2);
}

/* splitmix64: small, good enough, the same everywhere. */
static uint64_t rng(void) {
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
  return z ^ (z >> 31);
}

static size_t below(size_t n) { return n ? (size_t)(rng() % n) : 0; }

static void grow(Buf *b, size_t more) {
  if (b->len + more <= b->cap)
    return;
  while (b->len + more > b->cap)
    b->cap = b->cap ? b->cap * 2 : 256;
  b->p = realloc(b->p, b->cap);
  if (!b->p)
    die("out of memory");
}

static void add(Buf *b, const char *s, size_t len) {
  grow(b, len);
  memcpy(b->p + b->len, s, len);
  b->len += len;
}

static void adds(Buf *b, const char *s) { add(b, s, strlen(s)); }

static void addc(Buf *b, char c) { add(b, &c, 1); }

static void repeat(Buf *b, const char *s, size_t times) {
  for (size_t i = 0; i < times; i++)
    adds(b, s);
}

static void addf(Buf *b, const char *fmt, ...) {
  char tmp[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  adds(b, tmp);
}

static void make_dir(const char *path) {
  if (mkdir(path, 0777) != 0 && errno != EEXIST)
    die("cannot create %s: %s", path, strerror(errno));
}

static void open_class(const char *cls, const char *mode, const char *what) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", outdir, cls);
  make_dir(path);
  fprintf(classes, "%s %s %s\n", cls, mode, what);
}

/* Writes one input file: OUTDIR/CLASS/NNNNN-NAME.net */
static void emit(const char *cls, const char *name, const char *text,
                 size_t len) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s/%05d-%s.net", outdir, cls, ++file_no,
           name);
  FILE *f = fopen(path, "wb");
  if (!f || fwrite(text, 1, len, f) != len || fclose(f) != 0)
    die("cannot write %s: %s", path, strerror(errno));
}

static void emit_buf(const char *cls, const char *name, Buf *b) {
  emit(cls, name, b->p ? b->p : "", b->len);
  b->len = 0;
}

static void emit_str(const char *cls, const char *name, const char *text) {
  emit(cls, name, text, strlen(text));
}

static char *copy_str(const char *s) {
  char *p = malloc(strlen(s) + 1);
  if (!p)
    die("out of memory");
  return strcpy(p, s);
}

static void load_seed(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f)
    die("cannot open %s: %s", path, strerror(errno));
  Buf b = {0};
  char chunk[4096];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
    add(&b, chunk, n);
  fclose(f);
  if (nseeds == MAX_SEEDS)
    die("too many seed files (at most %d)", MAX_SEEDS);
  const char *base = strrchr(path, '/');
  char *name = copy_str(base ? base + 1 : path);
  char *dot = strrchr(name, '.');
  if (dot)
    *dot = '\0';
  seeds[nseeds++] = (Seed){name, b.p ? b.p : copy_str(""), b.len};
}

/* ---------------------------------------------------------------------
 * A rough scanner of .net text: where identifiers and brackets are,
 * outside comments and strings.
 */
typedef struct Spot {
  size_t at, len;
} Spot;

static int is_alpha(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_alnum(int c) { return is_alpha(c) || (c >= '0' && c <= '9'); }

static int is_keyword(const char *s, size_t len) {
  static const char *const all[] = {
    "model", "const", "data", "input", "target", "param", "layer",
    "return", "with", "loss", "train", "if",
  };
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
    if (strlen(all[i]) == len && memcmp(all[i], s, len) == 0)
      return 1;
  return 0;
}

static size_t skip_string(const char *s, size_t i, size_t len) {
  for (i++; i < len && s[i] != '"' && s[i] != '\n'; i++)
    if (s[i] == '\\' && i + 1 < len && s[i + 1] != '\n')
      i++;
  return i;
}

/* Collects identifiers, keywords excluded (want_idents), or bracket
 * characters (otherwise) into spots; returns how many. */
static size_t scan(const Seed *sd, int want_idents, Spot *spots,
                   size_t max) {
  const char *s = sd->text;
  size_t n = 0, i = 0;
  while (i < sd->len && n < max) {
    int c = (unsigned char)s[i];
    if (c == '#') {
      while (i < sd->len && s[i] != '\n')
        i++;
    } else if (c == '"') {
      i = skip_string(s, i, sd->len) + 1;
    } else if (is_alnum(c)) {
      size_t start = i;
      while (i < sd->len && (is_alnum((unsigned char)s[i]) ||
                             (!is_alpha(c) && s[i] == '.' &&
                              i + 1 < sd->len && s[i + 1] != '.')))
        i++;
      if (want_idents && is_alpha(c) && !is_keyword(s + start, i - start))
        spots[n++] = (Spot){start, i - start};
    } else {
      if (!want_idents && strchr("()[]{}", c))
        spots[n++] = (Spot){i, 1};
      i++;
    }
  }
  return n;
}

/* ---------------------------------------------------------------------
 * Classes of inputs
 */

/* Every prefix of every seed, a few bytes apart. */
static void gen_truncations(int budget) {
  size_t total = 0;
  for (int i = 0; i < nseeds; i++)
    total += seeds[i].len;
  size_t step = total / (size_t)(budget > 0 ? budget : 1) + 1;
  char name[128];
  open_class("trunc", "any", "truncated models");
  for (int i = 0; i < nseeds; i++) {
    for (size_t at = 1 + below(step); at < seeds[i].len; at += step) {
      snprintf(name, sizeof name, "%.60s-%zu", seeds[i].name, at);
      emit("trunc", name, seeds[i].text, at);
    }
  }
}

static void mutate_once(Buf *b) {
  size_t at = below(b->len + 1);
  switch (below(4)) {
  case 0:   /* flip one bit */
    if (at < b->len)
      b->p[at] ^= (char)(1u << below(8));
    break;
  case 1: { /* insert a random byte */
    grow(b, 1);
    memmove(b->p + at + 1, b->p + at, b->len - at);
    b->p[at] = (char)below(256);
    b->len++;
    break;
  }
  case 2: { /* delete up to 8 bytes */
    size_t n = 1 + below(8);
    if (at + n > b->len)
      n = b->len - at;
    memmove(b->p + at, b->p + at + n, b->len - at - n);
    b->len -= n;
    break;
  }
  default: { /* duplicate up to 32 bytes */
    size_t n = 1 + below(32);
    if (at + n > b->len)
      n = b->len - at;
    grow(b, n);
    memmove(b->p + at + n, b->p + at, b->len - at);
    b->len += n;
    break;
  }
  }
}

/* Seeds with one to four random byte edits. */
static void gen_mutations(int count) {
  static Buf b;     /* reused, never freed */
  char name[128];
  open_class("mutate", "any", "models with random byte edits");
  for (int k = 0; k < count; k++) {
    const Seed *sd = &seeds[below((size_t)nseeds)];
    add(&b, sd->text, sd->len);
    int edits = 1 + (int)below(4);
    for (int e = 0; e < edits; e++)
      mutate_once(&b);
    snprintf(name, sizeof name, "%.60s-%d", sd->name, edits);
    emit_buf("mutate", name, &b);
  }
}

/* Random bytes, NUL and bytes >= 0x80 included.  A stray character after
 * a newline somewhere makes sure no lucky draw is a valid file. */
static void gen_random(int count) {
  static const char stray[] = "$?!`~%&|^;'\\\x01\x7f\x80\xc3\xff";
  static Buf b;     /* reused, never freed */
  char name[64];
  open_class("random", "bad", "random bytes");
  for (int k = 0; k < count; k++) {
    size_t len = below((size_t)1 << (1 + below(12)));
    size_t where = below(len + 1);
    for (size_t i = 0; i < len; i++) {
      if (i == where) {
        addc(&b, '\n');
        addc(&b, k % 5 == 0 ? '\0' : stray[below(sizeof stray - 1)]);
      }
      addc(&b, (char)below(256));
    }
    if (where == len) {
      addc(&b, '\n');
      addc(&b, '\0');
    }
    snprintf(name, sizeof name, "bytes%zu", b.len);
    emit_buf("random", name, &b);
  }
}

/* Random sequences of real tokens: mostly nonsense, parsed deep. */
static void gen_soup(int count) {
  static const char *const tokens[] = {
    "model", "const", "data", "input", "target", "param", "layer",
    "return", "with", "loss", "train", "if", "(", ")", "[", "]", "{", "}",
    ",", ":", "=", "+", "-", "*", "/", "@", "..", "<=", "x", "h", "t",
    "y", "W", "float", "class", "onehot", "binary", "dense", "lstm",
    "tanh", "softmax", "cross_entropy", "mnist", "0", "1", "-1", "3",
    "0.5", "1e-3", "\"s\"", "\n", "# c\n", "zeros", "xavier", "adam",
    "sgd", "batch", "epochs", "optimizer", "t-1", "T", "n", "units",
  };
  enum { NTOK = sizeof tokens / sizeof tokens[0] };
  static Buf b;     /* reused, never freed */
  char name[64];
  open_class("soup", "any", "random token sequences");
  for (int k = 0; k < count; k++) {
    size_t n = 1 + below(300);
    for (size_t i = 0; i < n; i++) {
      adds(&b, tokens[below(NTOK)]);
      addc(&b, below(8) ? ' ' : '\n');
    }
    snprintf(name, sizeof name, "tokens%zu", n);
    emit_buf("soup", name, &b);
  }
}

/* An identifier of a seed replaced by a keyword: always a syntax error. */
static void gen_keyword_edits(int count) {
  static Spot spots[1 << 16];
  static Buf b;     /* reused, never freed */
  char name[128];
  open_class("keyword", "bad", "models with a name replaced by a keyword");
  for (int k = 0; k < count; k++) {
    const Seed *sd = &seeds[below((size_t)nseeds)];
    size_t n = scan(sd, 1, spots, sizeof spots / sizeof spots[0]);
    if (n == 0)
      continue;
    Spot sp = spots[below(n)];
    const char *kw = keywords[below(sizeof keywords / sizeof keywords[0])];
    add(&b, sd->text, sp.at);
    adds(&b, kw);
    add(&b, sd->text + sp.at + sp.len, sd->len - sp.at - sp.len);
    snprintf(name, sizeof name, "%.60s-%zu-%s", sd->name, sp.at, kw);
    emit_buf("keyword", name, &b);
  }
}

/* A bracket of a seed deleted, or one added: always unbalanced. */
static void gen_bracket_edits(int count) {
  static Spot spots[1 << 16];
  static Buf b;     /* reused, never freed */
  char name[128];
  for (int k = 0; k < count; k++) {
    const Seed *sd = &seeds[below((size_t)nseeds)];
    size_t n = scan(sd, 0, spots, sizeof spots / sizeof spots[0]);
    if (n == 0)
      continue;
    Spot sp = spots[below(n)];
    int del = (int)below(2);
    add(&b, sd->text, sp.at);
    if (!del)
      addc(&b, "()[]{}"[below(6)]);
    size_t rest = del ? sp.at + 1 : sp.at;
    add(&b, sd->text + rest, sd->len - rest);
    snprintf(name, sizeof name, "%.60s-%zu-%s", sd->name, sp.at,
             del ? "del" : "add");
    emit_buf("unbalanced", name, &b);
  }
}

static void gen_unbalanced(int count) {
  static const char *const cases[] = {
    "x = (1 + 2\n", "x = 1 + 2)\n", "x = [1, 2\n", "x = tanh(1\n",
    "train { batch 3\n", "train batch 3 }\n", "layer f(x) { return x\n",
    "layer f(x { return x }\n", "input x : float[3\n",
    "input x : float 3]\n", "x = a[1\n", "]\n", "}\n", ")\n", "(\n",
    "{\n", "[\n", "x = ((((1)))\n", "x = f(g(h(1))\n",
    "loss cross_entropy(z, y\n", "train { optimizer adam(lr = 1 }\n",
    "h[t = x\n", "h[t] = h[t-1 with h[-1] = 0\n",
  };
  open_class("unbalanced", "bad", "unbalanced brackets");
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    emit_str("unbalanced", "fixed", cases[i]);
  gen_bracket_edits(count - (int)(sizeof cases / sizeof cases[0]));
}

static void gen_wrong_keywords(void) {
  static const char *const cases[] = {
    "input model : float[3]\n", "const loss = 3\n",
    "param train : float[2] = zeros\n", "x = return\n",
    "layer if(x) { return x }\n", "train { optimizer with }\n",
    "with h[-1] = 0\n", "return 3\n", "data input\n", "model model\n",
    "model 3\n", "const = 3\n", "input x float[3]\n",
    "target : class[10]\n", "loss\n", "train\n", "train {\n",
    "layer f(x) { param W : float[3] = zeros }\n",
    "layer f(x) { return x return x }\n", "x = 1 if 2\n",
    "h[t] = h[t-1]\n with\n", "x = layer\n", "if = 1\n",
    "input x : float[3] = zeros\n", "const n = 3 with n = 4\n",
    "x[t] = 1 with = 0\n", "model m model\n", "x = (model)\n",
    "layer f(return) { return 1 }\n", "train { batch = }\n",
    "x = 1 +\n", "x = * 2\n", "x = 1 .. .. 2\n", "x = 1 <= 2\n",
    "x y z\n", "= 1\n", "x = @\n", "x = 1..\n", "x = .5\n", "x = 1.\n",
    "x = 1e\n", "x = 0x10\n", "x = 1_000\n", "x = \"abc\n",
    "x = \"a\\q\"\n", "x = 'a'\n",
  };
  open_class("misplaced", "bad", "keywords and tokens in wrong places");
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    emit_str("misplaced", "fixed", cases[i]);
}

/* Nesting 10,000 to 100,000 deep; the innermost name is undefined, so
 * netc must reach it or stop at a depth limit, with an error either way.
 */
static void gen_deep(void) {
  static const struct {
    const char *name, *open, *inner, *close;
  } kinds[] = {
    {"parens", "(", "nosuch", ")"},
    {"neg", "-(", "nosuch", ")"},
    {"unary", "-", "nosuch", ""},
    {"calls", "tanh(", "nosuch", ")"},
    {"index", "nosuch[", "0", "]"},
    {"lists", "f([", "1", "])"},
    {"unclosed", "(", "", ""},
  };
  static const size_t depths[] = {10000, 30000, 100000};
  static Buf b;     /* reused, never freed */
  char name[64];
  open_class("deep", "bad", "nesting 10,000 to 100,000 deep");
  for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
    for (size_t d = 0; d < sizeof depths / sizeof depths[0]; d++) {
      adds(&b, k % 2 ? "loss " : "const n = ");
      repeat(&b, kinds[k].open, depths[d]);
      adds(&b, kinds[k].inner);
      repeat(&b, kinds[k].close, depths[d]);
      addc(&b, '\n');
      snprintf(name, sizeof name, "%s%zu", kinds[k].name, depths[d]);
      emit_buf("deep", name, &b);
    }
  }
  for (size_t d = 0; d < sizeof depths / sizeof depths[0]; d++) {
    adds(&b, "const n = nosuch");
    repeat(&b, d == 1 ? " * 1" : "+1", depths[d]);
    adds(&b, "\nloss n\n");
    snprintf(name, sizeof name, "sum%zu", depths[d]);
    emit_buf("deep", name, &b);
    adds(&b, "layer f(x) {\n  y = ");
    repeat(&b, "(1 + ", depths[d]);
    adds(&b, "x");
    repeat(&b, ")", depths[d]);
    adds(&b, "\n  return y + nosuch\n}\nz = f(1)\n");
    snprintf(name, sizeof name, "layer%zu", depths[d]);
    emit_buf("deep", name, &b);
  }
}

static void gen_huge_numbers(void) {
  static const char *const cases[] = {
    "const n = 1e999\n", "const n = 99999999999999999999999\n",
    "const n = 9007199254740994\n", "const n = 9007199254740993\n",
    "const n = 1.5e308 * 0 + 2e308\n", "input x : float[1e999]\n",
    "input x : float[99999999999999999999]\n", "train { batch 1e999 }\n",
    "train { epochs 99999999999999999999999 }\n",
    "x = y[99999999999999999999999]\n",
    "param W : float[2] = uniform(-1e999, 1e999)\n",
  };
  static Buf b;     /* reused, never freed */
  open_class("huge", "bad", "numbers too large");
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    emit_str("huge", "fixed", cases[i]);
  adds(&b, "const n = ");
  repeat(&b, "9", MB);
  addc(&b, '\n');
  emit_buf("huge", "digits1MB", &b);
  adds(&b, "const n = 1.");
  repeat(&b, "5", MB);
  adds(&b, "e99999999999\n");
  emit_buf("huge", "float1MB", &b);
}

/* Shapes whose element count overflows: maybe valid, never a crash. */
static void gen_big_shapes(void) {
  static const char *const cases[] = {
    "input x : float[100000, 100000, 100000, 100000]\n"
    "param W : float[100000, 100000, 100000, 100000] = zeros\n"
    "y = x * W\nloss sum(y)\n",
    "input x : float[9007199254740992, 9007199254740992]\nloss sum(x)\n",
    "input x : float[4294967296, 4294967296]\n"
    "h = dense(x, 4294967296)\nloss sum(h)\n",
    "input x : float[0]\nloss sum(x)\n",
    "input x : float[-1]\nloss sum(x)\n",
    "input x : float[3]\ny = x[-9007199254740992]\nloss sum(y)\n",
    "input x : float[3]\ny = x[0 .. 9007199254740992]\nloss sum(y)\n",
    "input x : float[<=0, 3]\nloss sum(x)\n",
    "input x : float[2]\ny = reshape(x, [9007199254740992, 0])\n"
    "loss sum(y)\n",
  };
  open_class("bigshape", "any", "shapes with huge or odd sizes");
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    emit_str("bigshape", "fixed", cases[i]);
}

static void gen_long(void) {
  static Buf b;     /* reused, never freed */
  open_class("long", "bad", "1 MB identifiers, lines, strings");
  adds(&b, "const ");
  repeat(&b, "a", MB);
  adds(&b, " = nosuch\n");
  emit_buf("long", "ident-def", &b);
  adds(&b, "x = ");
  repeat(&b, "b", MB);
  addc(&b, '\n');
  emit_buf("long", "ident-use", &b);
  repeat(&b, " ", MB);
  adds(&b, "$\n");
  emit_buf("long", "spaces", &b);
  adds(&b, "# ");
  repeat(&b, "comment ", MB / 8);
  adds(&b, "\n$\n");
  emit_buf("long", "comment", &b);
  adds(&b, "const n = 1");
  repeat(&b, " + 1", MB / 4);
  adds(&b, " + nosuch\n");
  emit_buf("long", "sum-line", &b);
  adds(&b, "data text(\"");
  repeat(&b, "a", MB);
  addc(&b, '\n');
  emit_buf("long", "open-string", &b);
  adds(&b, "model \"");
  repeat(&b, "s", MB);
  adds(&b, "\"\n");
  emit_buf("long", "string", &b);
  repeat(&b, "# line\n", 100000);
  adds(&b, "$\n");
  emit_buf("long", "many-lines", &b);
  repeat(&b, "x = = 1\n", 10000);
  emit_buf("long", "many-errors", &b);
}

/* Many statements: slow algorithms show up here; may be valid. */
static void gen_many(void) {
  static Buf b;     /* reused, never freed */
  open_class("many", "any", "thousands of statements");
  for (int i = 0; i < 5000; i++)
    addf(&b, "const c%d = %d\n", i, i);
  emit_buf("many", "consts", &b);
  adds(&b, "input x : float[4]\nh0 = x\n");
  for (int i = 1; i < 3000; i++)
    addf(&b, "h%d = tanh(h%d) + x\n", i, i - 1);
  adds(&b, "loss sum(h2999)\n");
  emit_buf("many", "chain", &b);
  adds(&b, "input x : float[4]\n");
  for (int i = 0; i < 2000; i++)
    addf(&b, "param W%d : float[4, 4] = zeros\n", i);
  adds(&b, "loss sum(W0 @ x)\n");
  emit_buf("many", "params", &b);
}

static void gen_empty(void) {
  static const char *const cases[] = {
    "", " ", "\n", "\n\n\n", "\t \r\n", "# only a comment\n",
    "# one\n# two\n\n   # three\n", "# no newline at the end",
    "#\r\n#\r\n", "\xef\xbb\xbf# a byte-order mark\n",
  };
  open_class("empty", "bad", "empty files and files of only comments");
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    emit_str("empty", "fixed", cases[i]);
}

int main(int argc, char **argv) {
  if (argc < 2 || argv[1][0] == '-') {
    fprintf(stderr, "usage: robust-gen OUTDIR [SEED-FILE...]\n");
    return 2;
  }
  outdir = argv[1];
  const char *s = getenv("ROBUST_SEED");
  rng_state = s && *s ? strtoull(s, NULL, 10) : 1;
  s = getenv("ROBUST_CASES");
  int total = s && *s ? atoi(s) : 3000;
  if (total < 100)
    total = 100;
  make_dir(outdir);
  char path[4096];
  snprintf(path, sizeof path, "%s/classes.txt", outdir);
  classes = fopen(path, "w");
  if (!classes)
    die("cannot write %s: %s", path, strerror(errno));
  for (int i = 2; i < argc; i++)
    load_seed(argv[i]);
  seeds[nseeds++] = (Seed){"builtin", (char *)builtin_seed,
                           sizeof builtin_seed - 1};

  gen_empty();
  gen_wrong_keywords();
  gen_huge_numbers();
  gen_big_shapes();
  gen_long();
  gen_many();
  gen_deep();
  int rest = total - file_no;
  gen_truncations(rest * 35 / 100);
  gen_mutations(rest * 30 / 100);
  gen_random(rest * 15 / 100);
  gen_soup(rest * 8 / 100);
  gen_unbalanced(rest * 6 / 100);
  gen_keyword_edits(rest * 6 / 100);
  if (fclose(classes) != 0)
    die("cannot write %s", path);
  printf("%d inputs in %s\n", file_no, outdir);
  return 0;
}
