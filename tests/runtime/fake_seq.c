/* tests/runtime/fake_seq.c — hand-written compiled models with a varlen
 * input, to test libnetrt's driver on sequences of varying length
 * without the compiler (netrt.h: padded examples, and the lengths as
 * reals in inputs[ninputs]).
 *
 * fake_seq: a per-step logistic regression on binary_add (lengths
 * 1..5), input bits float[<=5, 2], target total binary[<=5]:
 *   z[t] = w . x[t] + b                    w (2), b (1), both zeros
 *   loss = mean over the batch of the sum over t < length of
 *          BCE-with-logits(z[t], y[t])
 * The sum (not a mean) over the steps makes the loss depend on the
 * lengths: with the zero initial weights every step costs log 2, so the
 * loss is log 2 times the mean length.  It cannot add (a sum bit is the
 * parity of three bits), but its loss falls.
 *
 * fake_recall: index_recall with k = 3 and lengths 3..3 on an input of
 * up to 5 steps, onehot[<=5, 10], target class[10]: softmax regression
 * on the example's last step,
 *   logits = W x[length - 1] + c          W (10, 10), c (10)
 * which finds the digit at index 3 only when the driver pads the data's
 * 3 steps to 5 and passes the right lengths.  Its examples must have at
 * least 3 steps (min_steps), as those of a model reading x[2] must.
 *
 * Both check the contract on every call: each length a whole number in
 * min_steps..5, zeros past it in the inputs and the targets.  A batch
 * that breaks it makes the loss NaN, which every command reports.
 *
 * One source, four executables:
 *   fake_seq        float reals, Adam                  (fake_seq)
 *   fake_seq_f64    double reals                       (fake_seq)
 *   fake_seq_long   float; its data has lengths 1..6, more than the
 *                   input's 5 steps                    (fake_seq)
 *   fake_recall     float, -DFAKE_RECALL               (fake_recall)
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
  T = 5,                       /* the input's maximum length */
  MAXB = 8,                    /* the compiled batch */
#ifdef FAKE_RECALL
  MIN_STEPS = 3,               /* the fewest steps of an example */
  K = 10,                      /* digits: one-hot width and classes */
  STEP = K,                    /* input values per step */
  NW = K * K,                  /* W's reals, then c's */
  NPARAM = NW + K,
  NOUT = K,                    /* output values per example */
  NTARGET = 1,                 /* target values per example */
#else
  MIN_STEPS = 1,
  STEP = 2,
  NPARAM = 3,                  /* w[0], w[1], b */
  NOUT = T,
  NTARGET = T,
#endif
  NSTATE = 2 * NPARAM,         /* Adam: first and second moments */
};

typedef struct Work {
  Real out[MAXB * NOUT];
  Real dz[MAXB * NOUT];
  Real grads[NPARAM];
} Work;

/* The lengths of a batch, or -1 when one breaks the contract. */
static int read_lengths(const void *const *inputs, int n, int *len) {
  const Real *l = inputs[1];
  for (int i = 0; i < n; i++) {
    if (!(l[i] >= MIN_STEPS && l[i] <= T && l[i] == (int)l[i]))
      return -1;
    len[i] = (int)l[i];
  }
  return 0;
}

/* Whether every value past each length is zero: rows of `per` values
 * per step, `width` per example. */
static int padded(const Real *x, int n, const int *len, int per,
                  int width) {
  for (int i = 0; i < n; i++)
    for (int j = len[i] * per; j < width; j++)
      if (x[i * width + j] != 0)
        return 0;
  return 1;
}

#ifdef FAKE_RECALL

static void forward(const Real *p, const Real *x, int n, const int *len,
                    Real *logits) {
  for (int i = 0; i < n; i++) {
    const Real *last = x + (i * T + len[i] - 1) * STEP;
    for (int k = 0; k < K; k++) {
      Real z = p[NW + k];
      for (int j = 0; j < K; j++)
        z += p[k * K + j] * last[j];
      logits[i * K + k] = z;
    }
  }
}

/* Mean cross-entropy; d loss / d logits into dz when not NULL. */
static double loss_of(const Real *logits, const Real *y, int n,
                      const int *len, Real *dz) {
  double loss = 0;
  (void)len;
  for (int i = 0; i < n; i++) {
    const Real *z = logits + i * K;
    int label = (int)y[i];
    double m = z[0], s = 0;
    for (int k = 1; k < K; k++)
      m = z[k] > m ? z[k] : m;
    for (int k = 0; k < K; k++)
      s += exp(z[k] - m);
    double lse = m + log(s);
    loss += lse - z[label];
    for (int k = 0; dz && k < K; k++)
      dz[i * K + k] = (Real)((exp(z[k] - lse) - (k == label)) / n);
  }
  return loss / n;
}

static void backward(const Real *x, int n, const int *len, const Real *dz,
                     Real *g) {
  memset(g, 0, NPARAM * sizeof *g);
  for (int i = 0; i < n; i++) {
    const Real *last = x + (i * T + len[i] - 1) * STEP;
    for (int k = 0; k < K; k++) {
      for (int j = 0; j < K; j++)
        g[k * K + j] += dz[i * K + k] * last[j];
      g[NW + k] += dz[i * K + k];
    }
  }
}

/* Labels in 0..K-1: the target has no steps to pad. */
static int targets_ok(const Real *y, int n, const int *len) {
  (void)len;
  for (int i = 0; i < n; i++)
    if (!(y[i] >= 0 && y[i] < K && y[i] == (int)y[i]))
      return 0;
  return 1;
}

#else

/* z[t] for t < length, 0 after it. */
static void forward(const Real *p, const Real *x, int n, const int *len,
                    Real *z) {
  for (int i = 0; i < n; i++)
    for (int t = 0; t < T; t++) {
      const Real *xt = x + (i * T + t) * STEP;
      z[i * T + t] = t < len[i] ? p[0] * xt[0] + p[1] * xt[1] + p[2] : 0;
    }
}

/* log(1 + exp(-|z|)) + max(z, 0) - y z, summed over the steps within
 * each length, averaged over the batch. */
static double loss_of(const Real *z, const Real *y, int n, const int *len,
                      Real *dz) {
  double loss = 0;
  for (int i = 0; i < n; i++)
    for (int t = 0; t < T; t++) {
      int at = i * T + t;
      double v = z[at];
      if (t < len[i])
        loss += log1p(exp(-fabs(v))) + fmax(v, 0) - y[at] * v;
      if (dz)
        dz[at] = t < len[i] ? (Real)((1 / (1 + exp(-v)) - y[at]) / n) : 0;
    }
  return loss / n;
}

static void backward(const Real *x, int n, const int *len, const Real *dz,
                     Real *g) {
  (void)len;
  memset(g, 0, NPARAM * sizeof *g);
  for (int i = 0; i < n * T; i++) {
    g[0] += dz[i] * x[i * STEP];
    g[1] += dz[i] * x[i * STEP + 1];
    g[2] += dz[i];
  }
}

static int targets_ok(const Real *y, int n, const int *len) {
  return padded(y, n, len, 1, T);
}

#endif

/* The loss of the batch (NaN when it breaks the contract); the outputs
 * into out, d loss / d outputs into dz when not NULL. */
static double run(const void *params, const void *const *inputs,
                  const void *const *targets, int n, Real *out, Real *dz,
                  int *len) {
  const Real *x = inputs[0];
  if (read_lengths(inputs, n, len) || !padded(x, n, len, STEP, T * STEP) ||
      (targets && !targets_ok(targets[0], n, len)))
    return NAN;
  forward(params, x, n, len, out);
  return targets ? loss_of(out, targets[0], n, len, dz) : 0;
}

static double gradient(const void *params, const void *const *inputs,
                       const void *const *targets, int batch, void *grads,
                       void *workspace) {
  Work *w = workspace;
  int len[MAXB];
  double loss = run(params, inputs, targets, batch, w->out, w->dz, len);
  if (isnan(loss))
    return loss;
  backward(inputs[0], batch, len, w->dz, grads);
  return loss;
}

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

static double train_step(void *params, void *state,
                         const void *const *inputs,
                         const void *const *targets, int batch,
                         int64_t step, const NetrtHyper *hyper,
                         void *workspace) {
  Work *w = workspace;
  double loss = gradient(params, inputs, targets, batch, w->grads, w);
  if (!isnan(loss))
    update(params, state, w->grads, step, hyper);
  return loss;
}

static double evaluate(const void *params, const void *const *inputs,
                       const void *const *targets, int batch, void *outputs,
                       void *workspace) {
  Work *w = workspace;
  int len[MAXB];
  return run(params, inputs, targets, batch, outputs ? outputs : w->out,
             NULL, len);
}

static void predict(const void *params, const void *const *inputs,
                    int batch, void *outputs, void *workspace) {
  int len[MAXB];
  (void)workspace;
  if (isnan(run(params, inputs, NULL, batch, outputs, NULL, len)))
    for (int i = 0; i < batch * NOUT; i++)
      ((Real *)outputs)[i] = (Real)NAN;
}

#ifdef FAKE_RECALL

static const NetrtTensor params[] = {
  {.name = "W", .elem = NETRT_FLOAT, .ndim = 2, .dims = {K, K},
   .count = NW, .offset = 0, .init = NETRT_INIT_ZEROS},
  {.name = "c", .elem = NETRT_FLOAT, .ndim = 1, .dims = {K},
   .count = K, .offset = NW, .init = NETRT_INIT_ZEROS},
};

static const NetrtTensor inputs[] = {
  {.name = "digits", .elem = NETRT_ONEHOT, .ndim = 2, .varlen = 1,
   .dims = {T, K}, .count = T * K},
};

static const NetrtTensor targets[] = {
  {.name = "answer", .elem = NETRT_CLASS, .ndim = 1, .dims = {K},
   .count = 1},
};

#define NAME "fake_recall"
#define SIGNATURE "digits:onehot[<=5,10] answer:class[10] W:float[10,10] " \
                  "c:float[10] batch 8"
#define NPARAMS 2
#define OUTPUT {.name = "logits", .elem = NETRT_FLOAT, .ndim = 1, \
                .dims = {K}, .count = K}
#define DATA "index_recall"
#define OPTIONS "k=3\nlengths=3..3\ncount=300\nseed=1"

#else

static const NetrtTensor params[] = {
  {.name = "w", .elem = NETRT_FLOAT, .ndim = 1, .dims = {2},
   .count = 2, .offset = 0, .init = NETRT_INIT_ZEROS},
  {.name = "b", .elem = NETRT_FLOAT, .ndim = 1, .dims = {1},
   .count = 1, .offset = 2, .init = NETRT_INIT_ZEROS},
};

static const NetrtTensor inputs[] = {
  {.name = "bits", .elem = NETRT_FLOAT, .ndim = 2, .varlen = 1,
   .dims = {T, STEP}, .count = T * STEP},
};

static const NetrtTensor targets[] = {
  {.name = "total", .elem = NETRT_BINARY, .ndim = 1, .varlen = 1,
   .dims = {T}, .count = T},
};

#define NAME "fake_seq"
#define SIGNATURE "bits:float[<=5,2] total:binary[<=5] w:float[2] " \
                  "b:float[1] batch 8"
#define NPARAMS 2
#define OUTPUT {.name = "z", .elem = NETRT_FLOAT, .ndim = 1, .varlen = 1, \
                .dims = {T}, .count = T}
#define DATA "binary_add"
#ifdef FAKE_LONG
#define OPTIONS "lengths=1..6\ncount=400\nseed=1"
#else
#define OPTIONS "lengths=1..5\ncount=400\nseed=1"
#endif

#endif

static const NetrtModel fake_model = {
  .abi_version = NETRT_ABI_VERSION,
  .name = NAME,
  .signature = SIGNATURE,
  .dtype_bytes = sizeof(Real),
  .max_batch = MAXB,
  .param_count = NPARAM,
  .state_count = NSTATE,
  .workspace_bytes = sizeof(Work),
  .flops_per_step = 6 * MAXB * T * NPARAM,
  .nparams = NPARAMS,
  .ninputs = 1,
  .ntargets = 1,
  .params = params,
  .inputs = inputs,
  .targets = targets,
  .output = OUTPUT,
  .train = {
    .optimizer = NETRT_ADAM,
    .hyper = {.lr = 0.1, .beta1 = 0.9, .beta2 = 0.999, .eps = 1e-8},
    .batch = MAXB, .epochs = 5, .seed = 1, .shuffle = 1,
    .validation = 0,
    .data = DATA,
    .data_options = OPTIONS,
  },
  .gradient = gradient,
  .train_step = train_step,
  .evaluate = evaluate,
  .predict = predict,
  .min_steps = MIN_STEPS,
};

const NetrtModel *const netrt_main_model = &fake_model;
