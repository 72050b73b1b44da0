/* tests/unit/optimizers.c — the generated optimizer updates against
 * PyTorch's formulas (torch.optim, written out below in double precision)
 * over several steps, for every optimizer and option, and clipping.
 *
 * The model is loss = mean over the batch of sum(w * x): with one example
 * the gradient is x itself, so each step's update is known exactly; the
 * weights after the last step are also compared with PyTorch's. */
#include <config.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "arena.h"
#include "codegen.h"
#include "emit.h"
#include "frontend.h"
#include "netrt.h"

enum { N = 4, STEPS = 6 };

static const double x0[N] = {0.5, -1.5, 2.0, 0.25};
static const double w0[N] = {0.3, -0.2, 0.1, 0.0};

typedef struct Ref {
  double w[N], s[3][N];
} Ref;

/* torch.optim's algorithms, one step at step t (from 1). */
static void ref_step(const NetrtModel *m, const NetrtHyper *h, Ref *r,
                     const double *grad, int t) {
  double g[N];
  memcpy(g, grad, sizeof g);
  if (h->clip_norm > 0) {
    double ss = 0;
    for (int i = 0; i < N; i++)
      ss += g[i] * g[i];
    double coef = h->clip_norm / (sqrt(ss) + 1e-6);
    for (int i = 0; coef < 1 && i < N; i++)
      g[i] *= coef;
  }
  for (int i = 0; h->clip_value > 0 && i < N; i++)
    g[i] = fmax(-h->clip_value, fmin(h->clip_value, g[i]));
  for (int i = 0; i < N; i++) {
    double p = r->w[i], d = g[i];
    if (m->train.optimizer == NETRT_ADAMW)
      p *= 1 - h->lr * h->weight_decay;
    else
      d += h->weight_decay * p;
    double *s0 = &r->s[0][i], *s1 = &r->s[1][i], *s2 = &r->s[2][i];
    switch (m->train.optimizer) {
    case NETRT_SGD:
      if (h->momentum != 0) {
        *s0 = t == 1 ? d : h->momentum * *s0 + (1 - h->dampening) * d;
        d = h->nesterov != 0 ? d + h->momentum * *s0 : *s0;
      }
      p -= h->lr * d;
      break;
    case NETRT_ADAGRAD: {
      double clr = h->lr / (1 + (t - 1) * h->lr_decay);
      *s0 += d * d;
      p -= clr * d / (h->eps_inside_sqrt != 0 ? sqrt(*s0 + h->eps)
                                              : sqrt(*s0) + h->eps);
      break;
    }
    case NETRT_RMSPROP: {
      *s0 = h->alpha * *s0 + (1 - h->alpha) * d * d;
      double avg = *s0;
      if (h->centered != 0) {
        *s2 = h->alpha * *s2 + (1 - h->alpha) * d;
        avg -= *s2 * *s2;
      }
      avg = sqrt(avg) + h->eps;
      if (h->momentum > 0) {
        *s1 = h->momentum * *s1 + d / avg;
        p -= h->lr * *s1;
      } else {
        p -= h->lr * d / avg;
      }
      break;
    }
    default: {                       /* adam, adamw */
      *s0 = h->beta1 * *s0 + (1 - h->beta1) * d;
      *s1 = h->beta2 * *s1 + (1 - h->beta2) * d * d;
      double v = *s1;
      if (h->amsgrad != 0) {
        *s2 = fmax(*s2, *s1);
        v = *s2;
      }
      double bc1 = 1 - pow(h->beta1, t), bc2 = 1 - pow(h->beta2, t);
      p -= h->lr / bc1 * *s0 / (sqrt(v) / sqrt(bc2) + h->eps);
      break;
    }
    }
    r->w[i] = p;
  }
}

/* Weights after STEPS steps, computed by PyTorch 1.13's torch.optim (and
 * torch.nn.utils.clip_grad_*_) on the same model, in the order of main's
 * checks; the eps_inside_sqrt row is the classic update written by hand. */
static const double torch_weights[][N] = {
  {1.3877787807814457e-17, 0.70000000000000007,
   -1.0999999999999999, -0.14999999999999999},
  {-0.59148450000000008, 2.4744535000000001,
   -3.4659380000000004, -0.44574225000000006},
  {-0.28504741153108443, 1.4778718217495252,
   -2.1187647116556221, -0.27596576015617191},
  {-0.80233605000000019, 3.1070081500000004,
   -4.3093442000000008, -0.55116802500000006},
  {-0.063991893584999446, 0.16399189361766614,
   -0.26399189362174941, -0.36399189353599942},
  {0.11503605401053912, 0.016199479099745839,
   -0.11876553116830386, -0.13212861854906924},
  {-0.063991889977024374, 0.16399189322766888,
   -0.26399189340543849, -0.36399187900610003},
  {-0.065798408783664927, 0.16579844168906308,
   -0.26579844580223833, -0.36579835942557998},
  {0.057058072905317718, 0.044016212069123796,
   -0.14415481735781915, -0.24104314124531542},
  {-0.29999998799999866, 0.39999999599999869,
   -0.49999999699999853, -0.59999997599999944},
  {-0.29828462681445589, 0.39944762197114758,
   -0.49958658528262168, -0.59582635692909636},
  {-0.30029749252606042, 0.39969899850758639,
   -0.49910049750658902, -0.59850197456051935},
  {-0.30928864096617448, 0.38279783709289072,
   -0.45630702703841758, -0.52981619755735077},
  {0.18289203696044382, 0.15132388911866831,
   -0.36843185215822444, -0.058553981519778052},
  {1.3877787807814457e-17, 0.16, -0.26000000000000001, -0.14999999999999999},
};

/* rows 0: the weights are the vector w; rows R: a matrix of R rows,
 * loss sum(w @ x), each row's gradient x, so each row moves as the vector
 * does, but through train_step's GEMM that applies the optimizer as it
 * sums the gradient (gradient_update, compiled for the training block's
 * flags).  weight_decay >= 0: run with that weight decay instead of the
 * block's, which that GEMM is not compiled for (no PyTorch figure). */
static void check_rows(const char *optimizer, const char *extra,
                       const double *torch, int rows, double weight_decay) {
  enum { R = 2 };
  char text[1024], shape[32];
  snprintf(shape, sizeof shape, rows ? "%d, %d" : "%d", rows ? rows : N, N);
  snprintf(text, sizeof text,
           "input x : float[%d]\n"
           "param w : float[%s] = zeros\n"
           "loss sum(w %s x)\n"
           "train { optimizer %s  batch 1 %s }\n", N, shape,
           rows ? "@" : "*", optimizer, extra);
  int copies = rows ? rows : 1;
  if (copies > R || (rows && strstr(extra, "norm")))
    return;        /* a norm over the rows is not the vector's */
  diag_reset();
  const SrcFile *f = src_from_string("opt.net", text, strlen(text));
  Model *model = frontend_check(f, NULL, 0);
  IrProgram *p = model ? lower_model(model) : NULL;
  if (!ok(p != NULL, "%s %s: compiles (%d rows)", optimizer, extra, rows))
    return;
  ir_grad(p);
  CodegenOptions cgo = {.dtype_bytes = 8, .batch = 1};
  EmitOptions eo = {.kind = EMIT_EXECUTABLE, .opt_level = 2};
  const void *desc;
  Jit *jit = emit_jit(p, &cgo, &eo, &desc);
  if (!ok(jit != NULL, "%s: compiles in memory", optimizer))
    return;
  const NetrtModel *m = desc;
  NetrtHyper h = m->train.hyper;
  if (weight_decay >= 0)
    h.weight_decay = weight_decay;
  double w[R * N], x[N], state[3 * R * N] = {0};
  Ref r = {{0}, {{0}}};
  for (int c = 0; c < copies; c++)
    memcpy(w + c * N, w0, sizeof w0);
  memcpy(x, x0, sizeof x);
  memcpy(r.w, w0, sizeof w0);
  for (int i = 0; m->train.optimizer == NETRT_ADAGRAD && i < N; i++)
    r.s[0][i] = h.initial_accumulator_value;
  for (int i = 0; m->train.optimizer == NETRT_ADAGRAD && i < copies * N;
       i++)
    state[i] = h.initial_accumulator_value;
  void *ws = calloc(1, (size_t)m->workspace_bytes + 64);
  const void *inputs[1] = {x};
  double worst = 0;
  for (int t = 1; t <= STEPS; t++) {
    m->train_step(w, state, inputs, NULL, 1, t, &h, ws);
    ref_step(m, &h, &r, x0, t);
    for (int i = 0; i < copies * N; i++)
      worst = fmax(worst, fabs(w[i] - r.w[i % N]) /
                          fmax(fabs(r.w[i % N]), 1e-3));
  }
  char what[64] = "";
  if (rows)
    snprintf(what, sizeof what, ", as a matrix%s",
             weight_decay >= 0 ? ", another weight decay" : "");
  ok(worst < 1e-12, "%s %s%s: %d steps as torch.optim computes them (max "
     "relative difference %.1e)", optimizer, extra, what, STEPS, worst);
  double off = 0;
  for (int i = 0; weight_decay < 0 && i < copies * N; i++)
    off = fmax(off, fabs(w[i] - torch[i % N]) /
                    fmax(fabs(torch[i % N]), 1e-3));
  if (weight_decay < 0)
    ok(off < 1e-12, "%s %s%s: the weights PyTorch reaches (max relative "
       "difference %.1e)", optimizer, extra, what, off);
  free(ws);
  emit_jit_free(jit);
}

static int ncheck;

static void check(const char *optimizer, const char *extra) {
  const double *torch = torch_weights[ncheck++];
  check_rows(optimizer, extra, torch, 0, -1);
  check_rows(optimizer, extra, torch, 2, -1);
  check_rows(optimizer, extra, torch, 2, 0.05);
}

int main(void) {
  check("sgd(lr = 0.1)", "");
  check("sgd(lr = 0.1, momentum = 0.9)", "");
  check("sgd(lr = 0.1, momentum = 0.9, dampening = 0.5, weight_decay = 0.1)",
        "");
  check("sgd(lr = 0.1, momentum = 0.9, nesterov = true)", "");
  check("adagrad(lr = 0.1)", "");
  check("adagrad(lr = 0.1, lr_decay = 0.5, initial_accumulator_value = 0.2, "
        "weight_decay = 0.1)", "");
  check("adagrad(lr = 0.1, eps = 1e-8, eps_inside_sqrt = true)", "");
  check("rmsprop(lr = 0.01)", "");
  check("rmsprop(lr = 0.01, alpha = 0.9, momentum = 0.5, centered = true, "
        "weight_decay = 0.1)", "");
  check("adam(lr = 0.1)", "");
  check("adam(lr = 0.1, betas = (0.8, 0.9), eps = 1e-6, weight_decay = 0.1, "
        "amsgrad = true)", "");
  check("adamw(lr = 0.1)", "");
  check("adamw(lr = 0.1, weight_decay = 0.5, amsgrad = true)", "");
  check("sgd(lr = 0.1)", "clip norm(1)");
  check("sgd(lr = 0.1)", "clip value(0.6)");
  arena_free_all();
  return tap_done();
}
