/* runtime/rt_threads.c — training steps on several threads.
 *
 * A batch is cut into shards, one per thread or, for a large batch,
 * several (shards_per_thread); each thread computes its shards' losses
 * and gradients with the model's gradient_shard (in its own workspace,
 * into each shard's gradient buffer), and the threads add them up and
 * apply the optimizer with the model's update.  The shards' sums are the
 * batch's, less the terms of the parameters alone (an L2 penalty), which
 * every shard counts: when the model has such terms (param_terms), an
 * empty shard's gradient holds exactly those and is taken off once for
 * each shard but the first.
 *
 * No more threads run than the process has cores (worker_count): with
 * more, fewer threads compute the same shards, so that the result
 * depends on the thread count asked for alone.
 *
 * The workers live as long as the run: a step wakes them with a new
 * generation number and waits until every shard is done.  When the model
 * can update in parts (clip, update_range), each thread then adds up and
 * updates its own part of the parameters.  Without clipping that is one
 * job: each thread computes its shards, waits for the others' at a
 * barrier, and adds up and updates its part in one pass (update_range
 * reads every shard's gradient and writes no sum when there is no empty
 * shard to take off).  With clipping the caller wakes them twice, the
 * clipping between the adding up and the update.
 */
#include <config.h>

#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

#include "rt_driver.h"
#include "rt_util.h"

enum { MAX_THREADS = 64, MAX_SHARDS = 256 };

/* Each thread reads and writes every gradient, and reads the parameters
 * the others updated, at every step: a cost of the parameters' size,
 * against a gain of the step's FLOPs.  On 2 cores the batch-5 MLP (21
 * FLOPs per parameter) ran 1.8 times slower on two threads, the
 * autoencoder (182) 1.34 times faster, the MLP at batch 128 (516) 1.77
 * times.  NETRT_SHARD_MIN_FLOPS sets a bound on the FLOPs per step
 * instead (the tests set it to 0). */
static bool threads_pay_off(const NetrtModel *m) {
  const char *s = getenv("NETRT_SHARD_MIN_FLOPS");
  if (s && *s)
    return (double)m->flops_per_step >= atof(s);
  return (double)m->flops_per_step >= 100.0 * (double)m->param_count;
}

/* A part of a batch: its examples, its loss and gradients. */
typedef struct Shard {
  void *grads;
  const void **inputs;         /* the shard's first example: ninputs and
                                  the lengths */
  const void **targets;
  int count;
  double loss;
} Shard;

/* A thread: its workspace, the shards it computes (every threads-th from
 * its index) and its part of the parameters. */
typedef struct Worker {
  struct RtShards *owner;
  int index;
  pthread_t thread;
  void *work;
  int64_t lo, hi;              /* its part of the parameters' reals */
  double spin;                 /* seconds it spins before it sleeps now */
  unsigned waits;              /* since it last spun */
} Worker;

/* A thread's share of a large batch runs as several shards, one after
 * the other, so that one shard's activations stay in the caches: at
 * batch 500 the GRU's are 73 MB a thread, more than the L3.  A shard
 * keeps at least MIN_SHARD_EXAMPLES, whose GEMMs stay efficient. */
enum { SHARD_BYTES = 16 << 20, MIN_SHARD_EXAMPLES = 64 };

/* NETRT_SHARDS_PER_THREAD sets it (the tests do). */
static int shards_per_thread(const NetrtModel *m, int threads) {
  const char *env = getenv("NETRT_SHARDS_PER_THREAD");
  int k;
  if (env && *env) {
    k = atoi(env);
  } else {
    int64_t share = (m->max_batch + threads - 1) / threads;
    double bytes = (double)m->workspace_bytes * (double)share /
                   (double)m->max_batch;
    k = (int)((bytes + SHARD_BYTES - 1) / SHARD_BYTES);
    if (k > share / MIN_SHARD_EXAMPLES)
      k = (int)(share / MIN_SHARD_EXAMPLES);
  }
  if (k * threads > MAX_SHARDS)
    k = MAX_SHARDS / threads;
  return k < 1 ? 1 : k;
}

/* What the threads do when woken. */
typedef enum Job {
  JOB_GRADIENT,                /* their shards' losses and gradients */
  JOB_ADD_UP,                  /* add up their part of the gradients */
  JOB_UPDATE,                  /* update their part of the parameters */
  JOB_STEP,                    /* the gradient, then, once every shard's
                                  is done, add up and update their part:
                                  one wake a step */
} Job;

struct RtShards {
  const NetrtModel *m;
  void *params, *state;        /* the run's */
  int threads;                 /* --threads: how the batch is cut */
  int workers;                 /* the threads that run: at most the
                                  cores */
  int total;
  int nshards;                 /* threads * shards_per_thread */
  int active;                  /* this step's: at most one an example */
  double spin;                 /* seconds a thread spins before it sleeps */
  void *empty_grads;           /* the gradient of no example */
  double empty_loss;
  Job job;
  int64_t step;
  const NetrtHyper *hyper;
  Worker worker[MAX_THREADS];
  Shard shard[MAX_SHARDS];
  void *grads[MAX_SHARDS];     /* each shard's gradient buffer */
  pthread_mutex_t lock;
  pthread_cond_t wake, done;
  pthread_cond_t all_arrived;  /* JOB_STEP's barrier, for the sleepers */
  atomic_ulong generation;
  atomic_int pending;
  atomic_int arrived;          /* JOB_STEP: shards done this step */
  atomic_bool stop;
};

/* Denormal numbers take a slow path in x86's vector units; a model's
 * gradients lose nothing that matters when they are flushed to zero.
 * AArch64 flushes them too (FPCR.FZ), so that an executable for it
 * computes what the same model computes on x86-64. */
void rt_flush_denormals(void) {
#if defined(__x86_64__) || defined(__i386__)
  _mm_setcsr(_mm_getcsr() | 0x8040);       /* FTZ and DAZ */
#elif defined(__aarch64__)
  uint64_t fpcr;
  __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
  fpcr |= UINT64_C(1) << 24;               /* FZ */
  __asm__ volatile("msr fpcr, %0" : : "r"(fpcr));
#endif
}

static void run_shards(RtShards *s, Worker *w) {
  const NetrtModel *m = s->m;
  for (int i = w->index; i < s->active; i += s->workers) {
    Shard *sh = &s->shard[i];
    sh->loss = m->gradient_shard(s->params, sh->inputs, sh->targets,
                                 sh->count, s->total, sh->grads, w->work);
  }
  if (w->index == 0 && s->active > 1 && m->param_terms)
    s->empty_loss = m->gradient_shard(s->params, s->shard[0].inputs,
                                      s->shard[0].targets, 0, s->total,
                                      s->empty_grads, w->work);
}

static void add_up_part(RtShards *s, int64_t lo, int64_t hi);
static void cpu_relax(void);

static bool spin_until(RtShards *s, Worker *w,
                       bool (*done)(RtShards *, void *), void *arg);

static bool all_arrived(RtShards *s, void *unused) {
  (void)unused;
  return atomic_load(&s->arrived) >= s->workers;
}

/* Waits until every thread's shard is done: spins a while, then sleeps
 * (a spinning thread on a core that another thread of the step needs
 * would hold it up).  The last to arrive wakes the sleepers.  The
 * counter is set back by the caller before the next step, once every
 * thread is past it. */
static void wait_for_shards(RtShards *s, Worker *w) {
  if (atomic_fetch_add(&s->arrived, 1) + 1 == s->workers) {
    pthread_mutex_lock(&s->lock);
    pthread_cond_broadcast(&s->all_arrived);
    pthread_mutex_unlock(&s->lock);
    return;
  }
  if (spin_until(s, w, all_arrived, NULL))
    return;
  pthread_mutex_lock(&s->lock);
  while (!all_arrived(s, NULL))
    pthread_cond_wait(&s->all_arrived, &s->lock);
  pthread_mutex_unlock(&s->lock);
}

static void run_job(RtShards *s, Worker *w) {
  const NetrtModel *m = s->m;
  if (s->job == JOB_GRADIENT || s->job == JOB_STEP) {
    run_shards(s, w);
    if (s->job == JOB_GRADIENT)
      return;
    wait_for_shards(s, w);
  }
  if (w->hi <= w->lo)
    return;
  /* without terms to take off, the update adds the shards up as it reads
   * them: no pass that writes the sum */
  if (s->job == JOB_STEP && !m->param_terms) {
    m->update_range(s->params, s->state, s->grads, s->active, s->step,
                    s->hyper, w->lo, w->hi);
    return;
  }
  if (s->job != JOB_UPDATE)
    add_up_part(s, w->lo, w->hi);
  if (s->job != JOB_ADD_UP)
    m->update_range(s->params, s->state, s->grads, 1, s->step, s->hyper,
                    w->lo, w->hi);
}

static void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  __asm__ volatile("yield");
#endif
}

/* A sleeping thread takes tens to hundreds of microseconds to wake (more
 * in a virtual machine), a tenth of an LSTM step: the threads spin this
 * long before they sleep, which covers the gap between two steps (the
 * adding up and the update).  With more threads than cores they do not
 * spin at all: a spinning thread holds the core that the thread it waits
 * for needs (on 2 cores, 4 spinning threads ran tiny_mlp_relu 82 times
 * slower than one). */
static double spin_seconds(int workers, int cores) {
  const char *s = getenv("NETRT_SPIN_SECONDS");
  if (s && *s)
    return atof(s);
  return workers > cores ? 0 : 2e-3;
}

/* The threads that compute a step's shards: as many as --threads asked,
 * but no more than the cores.  The batch is still cut into the shards of
 * `threads` threads, added up in the same order, so the result depends on
 * --threads alone; on 2 cores, 4 threads that sleep and wake at every
 * step still ran tiny_mlp_relu 11 times slower than 2.  NETRT_CORES
 * stands for the cores (the tests run more threads than cores with it). */
static int worker_count(int threads, int cores) {
  const char *s = getenv("NETRT_CORES");
  if (s && *s)
    cores = atoi(s) > 0 ? atoi(s) : 1;
  return threads < cores ? threads : cores;
}

/* The first number in the file at path, or -1. */
static double read_number(const char *path) {
  FILE *f = fopen(path, "r");
  double v = -1;
  if (!f)
    return -1;
  if (fscanf(f, "%lf", &v) != 1)
    v = -1;
  fclose(f);
  return v;
}

/* The cores a cgroup's CPU quota allows (rounded up), or 0 for none:
 * cgroup v2's cpu.max ("max 100000" or "QUOTA PERIOD"), else v1's
 * cpu.cfs_quota_us and cpu.cfs_period_us (quota -1: none).  A container
 * sees its own cgroup at the root of the hierarchy. */
static int quota_cores(void) {
  double quota = -1, period = -1;
  FILE *f = fopen("/sys/fs/cgroup/cpu.max", "r");
  if (f) {
    if (fscanf(f, "%lf %lf", &quota, &period) != 2)
      quota = -1;          /* "max": no quota */
    fclose(f);
  } else {
    quota = read_number("/sys/fs/cgroup/cpu/cpu.cfs_quota_us");
    period = read_number("/sys/fs/cgroup/cpu/cpu.cfs_period_us");
  }
  if (quota <= 0 || period <= 0)
    return 0;
  double cores = quota / period;
  return cores < 1 ? 1 : (int)(cores + 0.999);
}

int rt_available_cores(void) {
  int cores = 0;
#ifdef CPU_COUNT
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0)
    cores = CPU_COUNT(&set);
#endif
  if (cores < 1)
    cores = 1;
  int quota = quota_cores();
  return quota > 0 && quota < cores ? quota : cores;
}

/* Spins until done(s, arg) or the thread's spin time is over; true if
 * done.  The spin time adapts: it doubles (up to s->spin) when the wait
 * ends while spinning, and is cut to a quarter, then to none, when it
 * does not.  On a busy machine the thread waited for is often not
 * running, and a thread that spins for it uses up its own share of the
 * core: with another program on one of 2 cores, tiny_mlp_relu ran 450
 * steps/s on 2 threads that spun 2 ms, 34,000 on threads that slept at
 * once (55,000 on one thread).  A thread that no longer spins tries a
 * short spin every 256th wait, to find out when the machine is quiet
 * again. */
static bool spin_until(RtShards *s, Worker *w,
                       bool (*done)(RtShards *, void *), void *arg) {
  double spin = w->spin;
  if (spin == 0 && ++w->waits % 256 == 0)
    spin = s->spin / 16;
  double until = rt_now() + spin;
  for (;;) {
    for (int i = 0; i < 64; i++) {
      if (done(s, arg)) {
        w->spin = fmin(s->spin, fmax(2 * spin, s->spin / 64));
        return true;
      }
      cpu_relax();
    }
    if (rt_now() > until)
      break;
  }
  w->spin = w->spin / 4 < s->spin / 256 ? 0 : w->spin / 4;
  return false;
}

static bool woken(RtShards *s, void *seen) {
  return atomic_load(&s->stop) ||
         atomic_load(&s->generation) != *(unsigned long *)seen;
}

static bool all_done(RtShards *s, void *unused) {
  (void)unused;
  return atomic_load(&s->pending) == 0;
}

static void *worker(void *arg) {
  Worker *w = arg;
  RtShards *s = w->owner;
  unsigned long seen = 0;
  rt_flush_denormals();
  for (;;) {
    if (!spin_until(s, w, woken, &seen)) {
      pthread_mutex_lock(&s->lock);
      while (!woken(s, &seen))
        pthread_cond_wait(&s->wake, &s->lock);
      pthread_mutex_unlock(&s->lock);
    }
    if (atomic_load(&s->stop))
      break;
    seen = atomic_load(&s->generation);
    run_job(s, w);
    if (atomic_fetch_sub(&s->pending, 1) == 1) {
      pthread_mutex_lock(&s->lock);
      pthread_cond_signal(&s->done);
      pthread_mutex_unlock(&s->lock);
    }
  }
  return NULL;
}

static void free_shards(RtShards *s) {
  for (int i = 1; i < MAX_THREADS; i++)   /* also those never started */
    free(s->worker[i].work);
  for (int i = 0; i < s->nshards; i++) {
    free(s->shard[i].grads);
    free(s->shard[i].inputs);
    free(s->shard[i].targets);
  }
  free(s->empty_grads);
  free(s);
}

/* Each thread's part of the parameters' n reals: thread i starts at the
 * first cache line (of `line` reals) at or past i * n / workers, and the
 * last one ends at n, so that the parts cover every real once, whatever
 * n and the thread count.  False if they do not (a bug: the caller says
 * so rather than train some parameters never). */
static bool split_parameters(RtShards *s, int64_t n, int64_t line) {
  int64_t end = 0;
  for (int i = 0; i < s->workers; i++) {
    Worker *w = &s->worker[i];
    int64_t at = n * i / s->workers;
    at = (at + line - 1) / line * line;
    w->lo = at < n ? at : n;
    if (i > 0)
      s->worker[i - 1].hi = w->lo;
  }
  s->worker[s->workers - 1].hi = n;
  for (int i = 0; i < s->workers; i++) {
    Worker *w = &s->worker[i];
    if (w->lo != end || w->hi < w->lo)
      return false;
    end = w->hi;
  }
  return end == n;
}

int rt_shards_start(RtRun *r, int threads, const char *prog, char *err,
                    size_t errsz) {
  const NetrtModel *m = r->m;
  if (threads <= 1 || !m->gradient_shard || !m->update ||
      !threads_pay_off(m))
    return 0;              /* one thread: the model's own train_step */
  if (threads > MAX_THREADS)
    return rt_errorf(err, errsz, "--threads %d: at most %d", threads,
                     MAX_THREADS);
  RtShards *s = calloc(1, sizeof *s);
  if (!s)
    return rt_errorf(err, errsz, "out of memory for %d threads", threads);
  s->m = m;
  s->threads = threads;
  s->nshards = threads * shards_per_thread(m, threads);
  int cores = rt_available_cores();
  s->workers = worker_count(threads, cores);
  s->spin = spin_seconds(s->workers, cores);
  for (int i = 0; i < s->workers; i++)
    s->worker[i].spin = s->spin;
  if (threads > cores)
    fprintf(stderr, "%s: warning: --threads %d is more than the %d core%s "
            "this process may use: %d thread%s will compute the %d "
            "threads' shards\n", prog, threads, cores, cores == 1 ? "" : "s",
            s->workers, s->workers == 1 ? "" : "s", threads);
  s->empty_grads = rt_alloc_zero(m->param_count * m->dtype_bytes);
  bool ok = s->empty_grads != NULL;
  for (int i = 0; i < s->workers; i++) {
    Worker *w = &s->worker[i];
    w->owner = s;
    w->index = i;
    w->work = i == 0 ? r->work : rt_alloc_zero(m->workspace_bytes);
    ok = ok && w->work;
  }
  for (int i = 0; i < s->nshards; i++) {
    Shard *sh = &s->shard[i];
    sh->grads = s->grads[i] = rt_alloc_zero(m->param_count *
                                            m->dtype_bytes);
    sh->inputs = calloc((size_t)m->ninputs + 1, sizeof *sh->inputs);
    sh->targets = calloc((size_t)m->ntargets + 1, sizeof *sh->targets);
    ok = ok && sh->grads && sh->inputs && sh->targets;
  }
  if (!ok) {
    free_shards(s);
    return rt_errorf(err, errsz, "out of memory for %d threads' buffers",
                     threads);
  }
  if (!split_parameters(s, m->param_count, 64 / m->dtype_bytes)) {
    free_shards(s);
    return rt_errorf(err, errsz, "internal error: the threads' parts of "
                     "the parameters do not cover all %lld of them",
                     (long long)m->param_count);
  }
  pthread_mutex_init(&s->lock, NULL);
  pthread_cond_init(&s->wake, NULL);
  pthread_cond_init(&s->done, NULL);
  pthread_cond_init(&s->all_arrived, NULL);
  for (int i = 1; i < s->workers; i++)
    if (pthread_create(&s->worker[i].thread, NULL, worker, &s->worker[i])) {
      s->workers = i;      /* the ones started stop with the run */
      r->shards = s;
      rt_shards_stop(r);
      return rt_errorf(err, errsz, "cannot start thread %d of %d", i + 1,
                       s->workers);
    }
  r->shards = s;
  return 0;
}

void rt_shards_stop(RtRun *r) {
  RtShards *s = r->shards;
  if (!s)
    return;
  pthread_mutex_lock(&s->lock);
  atomic_store(&s->stop, true);
  pthread_cond_broadcast(&s->wake);
  pthread_mutex_unlock(&s->lock);
  for (int i = 1; i < s->workers; i++)
    pthread_join(s->worker[i].thread, NULL);
  pthread_mutex_destroy(&s->lock);
  pthread_cond_destroy(&s->wake);
  pthread_cond_destroy(&s->done);
  pthread_cond_destroy(&s->all_arrived);
  free_shards(s);
  r->shards = NULL;
}

/* Shard i's examples: the first n % threads shards take one more. */
static void cut(RtShards *s, const void *const *inputs,
                const void *const *targets, int n) {
  const NetrtModel *m = s->m;
  bool varlen = false;
  for (int k = 0; k < m->ninputs; k++)
    varlen |= m->inputs[k].varlen != 0;
  int first = 0;
  for (int i = 0; i < s->active; i++) {
    Shard *sh = &s->shard[i];
    sh->count = n / s->active + (i < n % s->active);
    for (int k = 0; k < m->ninputs; k++)
      sh->inputs[k] = (const char *)inputs[k] +
                      (size_t)first * (size_t)m->inputs[k].count *
                      (size_t)m->dtype_bytes;
    if (varlen)            /* the lengths, one real per example */
      sh->inputs[m->ninputs] = (const char *)inputs[m->ninputs] +
                               (size_t)first * (size_t)m->dtype_bytes;
    for (int k = 0; k < m->ntargets; k++)
      sh->targets[k] = (const char *)targets[k] +
                       (size_t)first * (size_t)m->targets[k].count *
                       (size_t)m->dtype_bytes;
    first += sh->count;
  }
}

/* y += a * x over n reals of `bytes` bytes each. */
static void add_scaled(void *restrict y, const void *restrict x, double a,
                       int64_t n, int bytes) {
  if (bytes == 8) {
    double *restrict yd = y;
    const double *restrict xd = x;
    for (int64_t j = 0; j < n; j++)
      yd[j] += a * xd[j];
  } else {
    float *restrict yf = y, af = (float)a;
    const float *restrict xf = x;
    for (int64_t j = 0; j < n; j++)
      yf[j] += af * xf[j];
  }
}

/* grads of shard 0 += the others' - (threads - 1) * the empty shard's,
 * on the reals [lo, hi) */
static void add_up_part(RtShards *s, int64_t lo, int64_t hi) {
  const NetrtModel *m = s->m;
  size_t at = (size_t)lo * (size_t)m->dtype_bytes;
  char *sum = (char *)s->shard[0].grads + at;
  for (int i = 1; i < s->active; i++)
    add_scaled(sum, (char *)s->shard[i].grads + at, 1, hi - lo,
               m->dtype_bytes);
  if (m->param_terms)
    add_scaled(sum, (char *)s->empty_grads + at, -(s->active - 1), hi - lo,
               m->dtype_bytes);
}

static double add_up_loss(const RtShards *s) {
  double loss = s->shard[0].loss;
  for (int i = 1; i < s->active; i++)
    loss += s->shard[i].loss;
  return s->m->param_terms ? loss - (s->active - 1) * s->empty_loss : loss;
}

/* Wakes the workers for s->job, does the first thread's part, and waits
 * for theirs. */
static void run_everywhere(RtShards *s) {
  atomic_store(&s->pending, s->workers - 1);
  pthread_mutex_lock(&s->lock);
  atomic_fetch_add(&s->generation, 1);
  pthread_cond_broadcast(&s->wake);
  pthread_mutex_unlock(&s->lock);
  run_job(s, &s->worker[0]);
  if (!spin_until(s, &s->worker[0], all_done, NULL)) {
    pthread_mutex_lock(&s->lock);
    while (atomic_load(&s->pending) > 0)
      pthread_cond_wait(&s->done, &s->lock);
    pthread_mutex_unlock(&s->lock);
  }
}

/* The optimizer's step with the shards' gradients when it cannot be
 * one job with them: with clipping, the threads add up their parts, the
 * clipping sees every gradient, then they update their parts; a model
 * that cannot update in parts adds up and updates on this thread. */
static void update_apart(RtShards *s, const NetrtHyper *h) {
  const NetrtModel *m = s->m;
  void *grads = s->shard[0].grads;
  if (!m->clip || !m->update_range) {
    add_up_part(s, 0, m->param_count);
    m->update(s->params, s->state, grads, s->step, h);
    return;
  }
  s->job = JOB_ADD_UP;
  run_everywhere(s);
  m->clip(grads, h);
  s->job = JOB_UPDATE;
  run_everywhere(s);
}

double rt_train_step(RtRun *r, const void *const *inputs,
                     const void *const *targets, int n,
                     const NetrtHyper *h) {
  const NetrtModel *m = r->m;
  RtShards *s = r->shards;
  r->step++;
  if (!s || n < s->threads)
    return m->train_step(r->params, r->state, inputs, targets, n, r->step, h,
                         r->work);
  s->params = r->params;
  s->state = r->state;
  s->step = r->step;
  s->hyper = h;
  s->total = n;
  s->active = n < s->nshards ? n : s->nshards;
  cut(s, inputs, targets, n);
  if (m->clip && m->update_range && h->clip_norm <= 0 && h->clip_value <= 0) {
    atomic_store(&s->arrived, 0);
    s->job = JOB_STEP;
    run_everywhere(s);
  } else {
    s->job = JOB_GRADIENT;
    run_everywhere(s);
    update_apart(s, h);
  }
  return add_up_loss(s);
}
