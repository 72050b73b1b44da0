/* tests/runtime/fake_model.c — a hand-written compiled model, to test
 * libnetrt's driver without the compiler.
 *
 * Softmax regression on the synthetic spirals: 2 features -> 3 classes,
 *   logits = W x + b            W (3, 2), b (3)
 *   loss   = mean over the batch of cross-entropy(logits, y)
 * with the optimizer's update written out by hand as netc would generate
 * it.  One source, three executables:
 *   fake_model       float reals, Adam            (model fake_softmax)
 *   fake_model_f64   double reals, Adam           (model fake_softmax)
 *   fake_model_sgd   float reals, SGD + momentum  (model fake_softmax_sgd)
 * and, with -DFAKE_WRONG_GRADIENT, fake_model_wrong and
 * fake_model_wrong_f64, whose gradient of b is too large, by 10% in
 * float and by 1e-4 in double: the gradcheck must find it.
 */
#include <config.h>

#include <math.h>
#include <stddef.h>
#include <string.h>

#include "netrt.h"

#ifdef FAKE_F64
typedef double Real;
#else
typedef float Real;
#endif

enum {
  IN = 2,                      /* features */
  OUT = 3,                     /* classes */
  MAXB = 32,                   /* the compiled batch */
  NW = OUT * IN,               /* W's reals, then b's */
  NPARAM = NW + OUT,
#ifdef FAKE_SGD
  NSTATE = NPARAM,             /* momentum buffer */
#else
  NSTATE = 2 * NPARAM,         /* Adam: first and second moments */
#endif
};

#if defined FAKE_WRONG_GRADIENT && defined FAKE_F64
#define WRONG ((Real)1.0001)
#elif defined FAKE_WRONG_GRADIENT
#define WRONG ((Real)1.1)
#else
#define WRONG ((Real)1)
#endif

/* The workspace: logits (MAXB, OUT), then gradients (NPARAM). */
typedef struct Work {
  Real logits[MAXB * OUT];
  Real grads[NPARAM];
} Work;

static void forward(const Real *p, const Real *x, int n, Real *logits) {
  for (int i = 0; i < n; i++)
    for (int k = 0; k < OUT; k++) {
      Real z = p[NW + k];
      for (int j = 0; j < IN; j++)
        z += p[k * IN + j] * x[i * IN + j];
      logits[i * OUT + k] = z;
    }
}

/* Mean cross-entropy; d loss / d logits into dz when not NULL. */
static double cross_entropy(const Real *logits, const Real *y, int n,
                            Real *dz) {
  double loss = 0;
  for (int i = 0; i < n; i++) {
    const Real *z = logits + i * OUT;
    int label = (int)y[i];
    double m = z[0], s = 0;
    for (int k = 1; k < OUT; k++)
      m = z[k] > m ? z[k] : m;
    for (int k = 0; k < OUT; k++)
      s += exp(z[k] - m);
    double lse = m + log(s);
    loss += lse - z[label];
    for (int k = 0; dz && k < OUT; k++)
      dz[i * OUT + k] = (Real)((exp(z[k] - lse) - (k == label)) / n);
  }
  return loss / n;
}

static double gradient(const void *params, const void *const *inputs,
                       const void *const *targets, int batch, void *grads,
                       void *workspace) {
  const Real *p = params, *x = inputs[0];
  Work *w = workspace;
  Real *g = grads;
  forward(p, x, batch, w->logits);
  double loss = cross_entropy(w->logits, targets[0], batch, w->logits);
  memset(g, 0, NPARAM * sizeof *g);
  for (int i = 0; i < batch; i++)
    for (int k = 0; k < OUT; k++) {
      Real d = w->logits[i * OUT + k];
      for (int j = 0; j < IN; j++)
        g[k * IN + j] += d * x[i * IN + j];
      g[NW + k] += d * WRONG;
    }
  return loss;
}

static void clip(Real *g, const NetrtHyper *h) {
  double norm = 0;
  for (int i = 0; i < NPARAM; i++)
    norm += (double)g[i] * g[i];
  norm = sqrt(norm);
  for (int i = 0; i < NPARAM; i++) {
    if (h->clip_norm > 0 && norm > h->clip_norm)
      g[i] = (Real)(g[i] * (h->clip_norm / (norm + 1e-6)));
    if (h->clip_value > 0)
      g[i] = (Real)fmax(-h->clip_value, fmin(h->clip_value, g[i]));
  }
}

#ifdef FAKE_SGD
/* torch.optim.SGD */
static void update(Real *p, Real *buf, const Real *grad, int64_t step,
                   const NetrtHyper *h) {
  for (int i = 0; i < NPARAM; i++) {
    double g = grad[i] + h->weight_decay * p[i];
    if (h->momentum != 0) {
      buf[i] = (Real)(step == 1 ? g : h->momentum * buf[i] +
                                      (1 - h->dampening) * g);
      g = h->nesterov != 0 ? g + h->momentum * buf[i] : buf[i];
    }
    p[i] = (Real)(p[i] - h->lr * g);
  }
}
#else
/* torch.optim.Adam */
static void update(Real *p, Real *s, const Real *grad, int64_t step,
                   const NetrtHyper *h) {
  Real *m = s, *v = s + NPARAM;
  double c1 = 1 - pow(h->beta1, (double)step);
  double c2 = 1 - pow(h->beta2, (double)step);
  for (int i = 0; i < NPARAM; i++) {
    double g = grad[i] + h->weight_decay * p[i];
    m[i] = (Real)(h->beta1 * m[i] + (1 - h->beta1) * g);
    v[i] = (Real)(h->beta2 * v[i] + (1 - h->beta2) * g * g);
    p[i] = (Real)(p[i] - h->lr * (m[i] / c1) / (sqrt(v[i] / c2) + h->eps));
  }
}
#endif

static double train_step(void *params, void *state,
                         const void *const *inputs,
                         const void *const *targets, int batch,
                         int64_t step, const NetrtHyper *hyper,
                         void *workspace) {
  Work *w = workspace;
  double loss = gradient(params, inputs, targets, batch, w->grads, w);
  clip(w->grads, hyper);
  update(params, state, w->grads, step, hyper);
  return loss;
}

static double evaluate(const void *params, const void *const *inputs,
                       const void *const *targets, int batch, void *outputs,
                       void *workspace) {
  Work *w = workspace;
  Real *logits = outputs ? outputs : w->logits;
  forward(params, inputs[0], batch, logits);
  return cross_entropy(logits, targets[0], batch, NULL);
}

static void predict(const void *params, const void *const *inputs,
                    int batch, void *outputs, void *workspace) {
  (void)workspace;
  forward(params, inputs[0], batch, outputs);
}

static const NetrtTensor params[] = {
  {.name = "W", .elem = NETRT_FLOAT, .ndim = 2, .dims = {OUT, IN},
   .count = NW, .offset = 0, .init = NETRT_INIT_XAVIER_UNIFORM,
   .init_a = 1.0, .fan_in = IN, .fan_out = OUT},
  {.name = "b", .elem = NETRT_FLOAT, .ndim = 1, .dims = {OUT},
   .count = OUT, .offset = NW, .init = NETRT_INIT_ZEROS},
};

static const NetrtTensor inputs[] = {
  {.name = "x", .elem = NETRT_FLOAT, .ndim = 1, .dims = {IN}, .count = IN},
};

static const NetrtTensor targets[] = {
  {.name = "y", .elem = NETRT_CLASS, .ndim = 1, .dims = {OUT}, .count = 1},
};

static const NetrtModel fake_model = {
  .abi_version = NETRT_ABI_VERSION,
#ifdef FAKE_SGD
  .name = "fake_softmax_sgd",
#else
  .name = "fake_softmax",
#endif
  .signature = "x:float[2] y:class[3] W:float[3,2] b:float[3] batch 32",
  .dtype_bytes = sizeof(Real),
  .max_batch = MAXB,
  .param_count = NPARAM,
  .state_count = NSTATE,
  .workspace_bytes = sizeof(Work),
  .flops_per_step = 3 * 2 * MAXB * NPARAM,
  .nparams = 2,
  .ninputs = 1,
  .ntargets = 1,
  .params = params,
  .inputs = inputs,
  .targets = targets,
  .output = {.name = "logits", .elem = NETRT_FLOAT, .ndim = 1,
             .dims = {OUT}, .count = OUT},
  .train = {
#ifdef FAKE_SGD
    .optimizer = NETRT_SGD,
    .hyper = {.lr = 0.1, .momentum = 0.9},
#else
    .optimizer = NETRT_ADAM,
    .hyper = {.lr = 0.05, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8},
#endif
    .batch = MAXB, .epochs = 5, .seed = 1, .shuffle = 1,
    .validation = 600,
    .data = "synthetic2d",
    .data_options = "points=3000\nclasses=3\nseed=1",
  },
  .gradient = gradient,
  .train_step = train_step,
  .evaluate = evaluate,
  .predict = predict,
};

const NetrtModel *const netrt_main_model = &fake_model;
