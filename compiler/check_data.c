/* compiler/check_data.c — the data source.
 *
 * Input: the `data` statement; for text(file = ...), the file beside the
 * model; then the inputs and targets the model declares.
 * Output: Model.data, the constants text() defines (vocab, T), and an
 * error for each input or target whose type is not what the source
 * gives.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "arena.h"
#include "check_internal.h"

/* Where a data source's file lives: beside the model file. */
static const char *beside(const Checker *c, const char *path) {
  const char *model = c->m->file->name;
  const char *slash = strrchr(model, '/');
  if (path[0] == '/' || !slash)
    return path;
  return arena_printf("%.*s/%s", (int)(slash - model), model, path);
}

enum { MAX_TEXT = 16 << 20 };

static bool read_text_file(Checker *c, const Node *at, const char *path,
                           const char **text) {
  const char *full = beside(c, path);
  struct stat sb;
  if (stat(full, &sb) != 0) {
    check_error(c, at->loc, "cannot open '%s': %s", full, strerror(errno));
    return false;
  }
  if (!S_ISREG(sb.st_mode) || sb.st_size > MAX_TEXT) {
    check_error(c, at->loc, "'%s' is %s", full, S_ISREG(sb.st_mode) ?
                "larger than 16 MB" : "not a regular file");
    return false;
  }
  FILE *fp = fopen(full, "rb");
  if (!fp) {
    check_error(c, at->loc, "cannot open '%s': %s", full, strerror(errno));
    return false;
  }
  size_t cap = 4096, len = 0;
  char *buf = arena_alloc(cap);
  size_t got;
  while (len <= MAX_TEXT &&
         (got = fread(buf + len, 1, cap - len - 1, fp)) > 0) {
    len += got;
    if (cap - len - 1 == 0) {
      char *grown = arena_alloc(cap * 2);
      memcpy(grown, buf, len);
      buf = grown;
      cap *= 2;
    }
  }
  fclose(fp);
  buf[len] = '\0';
  if (strlen(buf) != len) {
    check_error(c, at->loc, "'%s' holds NUL bytes; text() reads plain text",
                full);
    return false;
  }
  *text = buf;
  return true;
}

static void define_data_const(Checker *c, const Node *st, const char *name,
                              int64_t v) {
  Sym *sym = check_declare(c, c->top, SYM_CONST, st, name, st->loc);
  if (!sym)
    return;
  sym->value = (Value){.kind = VAL_NUM, .num = (double)v, .is_int = true};
  symlist_push(&c->m->consts, sym);
}

/* After a failed text(), vocab and T exist but say nothing more. */
static void poison_text_consts(Checker *c, const Node *st) {
  static const char *names[] = {"vocab", "T"};
  for (int i = 0; i < 2; i++) {
    Node *decl = ast_stmt(ND_CONST, names[i], st->loc, st->loc);
    check_poison(c, c->top, SYM_CONST, decl);
  }
}

/* text(...) defines vocab (distinct characters) and T (steps). */
static void check_text_source(Checker *c, const Node *st, CallValue *cv) {
  const char *text = call_value(cv, "text")->str;
  const char *file = call_value(cv, "file")->str;
  if (*text && *file) {
    check_error(c, st->lhs->loc, "text takes a text or a file, not both");
    poison_text_consts(c, st);
    return;
  }
  if (*file && !read_text_file(c, st->lhs, file, &text)) {
    poison_text_consts(c, st);
    return;
  }
  /* The shapes depend on this very text: the compiled model carries it
   * rather than a path that could change before it runs. */
  cv->vals[opt_index(cv->spec->opts, "text")].str = text;
  cv->vals[opt_index(cv->spec->opts, "file")].str = "";
  size_t len = strlen(text);
  if (len < 2) {
    check_error(c, st->lhs->loc, "text needs at least 2 characters to predict "
                "one from another");
    poison_text_consts(c, st);
    return;
  }
  bool seen[256] = {0};
  int64_t vocab = 0;
  for (size_t i = 0; i < len; i++)
    if (!seen[(unsigned char)text[i]]) {
      seen[(unsigned char)text[i]] = true;
      vocab++;
    }
  define_data_const(c, st, "vocab", vocab);
  define_data_const(c, st, "T", (int64_t)len - 1);
}

void check_data(Checker *c, const Node *st) {
  if (c->m->data) {
    check_error(c, st->loc, "the model already has a data source");
    return;
  }
  CallValue *cv = check_call_value(c, c->top, st->lhs, data_specs,
                                   "data source");
  if (!cv)
    return;
  c->m->data = cv;
  const char *name = cv->spec->name;
  if (strcmp(name, "text") == 0)
    check_text_source(c, st, cv);
  if (strcmp(name, "index_recall") == 0) {
    const Value *k = call_value(cv, "k"), *lengths = call_value(cv, "lengths");
    if (k->num > lengths->lo)   /* k counts from 1, as the task states */
      check_error(c, st->lhs->loc, "digit %g is not in every sequence: the "
                  "shortest has %g digits", k->num, lengths->lo);
  }
}

/* ---- what the data source gives --------------------------------------- */

typedef struct Provided {
  Type ty;
  bool any_shape;   /* mnist: any shape of 784 values */
} Provided;

static Type seq_type(ElemKind elem, int64_t len, bool varlen, int64_t n) {
  Type t = {.elem = elem, .ndim = n ? 2 : 1, .varlen = varlen};
  t.dims[0] = len;
  t.dims[1] = n;
  return t;
}

static int data_provides(const Checker *c, Provided *in, int *nin,
                         Provided *tg) {
  const CallValue *cv = c->m->data;
  const char *name = cv->spec->name;
  *nin = 1;
  if (strcmp(name, "mnist") == 0) {
    in[0] = (Provided){type_vector(784), true};
    tg[0] = (Provided){{.elem = EL_CLASS, .ndim = 1, .dims = {10}}, false};
  } else if (strcmp(name, "csv") == 0 || strcmp(name, "synthetic2d") == 0) {
    int64_t f = strcmp(name, "csv") == 0 ?
        (int64_t)call_value(cv, "features")->num : 2;
    in[0] = (Provided){type_vector(f), false};
    tg[0] = (Provided){{.elem = EL_CLASS, .ndim = 1,
                        .dims = {(int64_t)call_value(cv, "classes")->num}},
                       false};
  } else if (strcmp(name, "text") == 0) {
    const Sym *vocab = check_lookup(c->top, "vocab");
    const Sym *T = check_lookup(c->top, "T");
    if (!vocab || !T)
      return 0;
    int64_t v = (int64_t)vocab->value.num, n = (int64_t)T->value.num;
    in[0] = (Provided){seq_type(EL_ONEHOT, n, false, v), false};
    tg[0] = (Provided){seq_type(EL_CLASS, n, false, v), false};
  } else if (strcmp(name, "index_recall") == 0) {
    int64_t max = (int64_t)call_value(cv, "lengths")->hi;
    in[0] = (Provided){seq_type(EL_ONEHOT, max, true, 10), false};
    tg[0] = (Provided){{.elem = EL_CLASS, .ndim = 1, .dims = {10}}, false};
  } else {   /* binary_add */
    int64_t max = (int64_t)call_value(cv, "lengths")->hi;
    in[0] = (Provided){seq_type(EL_FLOAT, max, true, 2), false};
    tg[0] = (Provided){seq_type(EL_BINARY, max, true, 0), false};
  }
  return 1;
}

static bool elem_fits(ElemKind declared, ElemKind given) {
  if (declared == given)
    return true;
  return declared == EL_FLOAT && (given == EL_ONEHOT || given == EL_BINARY);
}

static void bind_one(Checker *c, const Sym *sym, const Provided *p,
                     const Node *data) {
  const Type *t = &sym->ty;
  bool ok = elem_fits(t->elem, p->ty.elem);
  if (p->any_shape)
    ok = ok && !t->varlen && type_numel(t) == type_numel(&p->ty);
  else
    ok = ok && (type_same_shape(t, &p->ty) ||
                (p->ty.elem == EL_BINARY &&
                 check_same_up_to_trailing_one(t, &p->ty)));
  if (ok)
    return;
  if (p->any_shape)
    check_error(c, sym->decl->type->loc, "%s '%s' is %s, but %s gives %lld "
                "values per example", check_kind_word(sym->kind), sym->name,
                type_str(t), c->m->data->spec->name,
                (long long)type_numel(&p->ty));
  else
    check_error(c, sym->decl->type->loc, "%s '%s' is %s, but %s gives %s",
                check_kind_word(sym->kind), sym->name, type_str(t),
                c->m->data->spec->name, type_str(&p->ty));
  check_note(c, data->loc, "the data source is here");
}

void check_bind_data(Checker *c, const Node *data) {
  Provided in[2], tg[2];
  int nin;
  if (!data_provides(c, in, &nin, tg))
    return;
  const Model *m = c->m;
  if (m->inputs.n != nin)
    check_error(c, m->inputs.n ? m->inputs.v[nin]->decl->loc : data->loc,
                "%s gives %d input, but the model declares %d",
                m->data->spec->name, nin, m->inputs.n);
  else
    bind_one(c, m->inputs.v[0], &in[0], data);
  if (m->targets.n > 1)
    check_error(c, m->targets.v[1]->decl->loc, "%s gives 1 target, but the "
                "model declares %d", m->data->spec->name, m->targets.n);
  else if (m->targets.n == 1)
    bind_one(c, m->targets.v[0], &tg[0], data);
}
