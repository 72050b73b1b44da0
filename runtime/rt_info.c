/* runtime/rt_info.c — the info command: what the descriptor says about
 * the model (tensors, sizes, optimizer, training defaults, cost). */
#include <config.h>

#include <inttypes.h>
#include <string.h>

#include "rt_cpu.h"
#include "rt_driver.h"

static const char *elem_type_name(NetrtElem e) {
  switch (e) {
  case NETRT_FLOAT: return "float";
  case NETRT_ONEHOT: return "onehot";
  case NETRT_CLASS: return "class";
  case NETRT_BINARY: return "binary";
  }
  return "?";
}

static const char *init_name(NetrtInit i) {
  switch (i) {
  case NETRT_INIT_ZEROS: return "zeros";
  case NETRT_INIT_ONES: return "ones";
  case NETRT_INIT_CONSTANT: return "constant";
  case NETRT_INIT_UNIFORM: return "uniform";
  case NETRT_INIT_NORMAL: return "normal";
  case NETRT_INIT_XAVIER_UNIFORM: return "xavier_uniform";
  case NETRT_INIT_XAVIER_NORMAL: return "xavier_normal";
  case NETRT_INIT_KAIMING_UNIFORM: return "kaiming_uniform";
  case NETRT_INIT_KAIMING_NORMAL: return "kaiming_normal";
  }
  return "?";
}

/* "[3, 2]", "[<=20, 2]" */
static void shape_str(char *buf, size_t n, const NetrtTensor *t) {
  size_t k = (size_t)snprintf(buf, n, "[");
  for (int d = 0; d < t->ndim && k < n; d++)
    k += (size_t)snprintf(buf + k, n - k, "%s%s%" PRId64, d ? ", " : "",
                          d == 0 && t->varlen ? "<=" : "", t->dims[d]);
  if (k < n)
    snprintf(buf + k, n - k, "]");
}

static void init_str(char *buf, size_t n, const NetrtTensor *t) {
  switch (t->init) {
  case NETRT_INIT_CONSTANT:
    snprintf(buf, n, "constant(%g)", t->init_a);
    break;
  case NETRT_INIT_UNIFORM:
  case NETRT_INIT_NORMAL:
    snprintf(buf, n, "%s(%g, %g)", init_name(t->init), t->init_a,
             t->init_b);
    break;
  case NETRT_INIT_XAVIER_UNIFORM:
  case NETRT_INIT_XAVIER_NORMAL:
    snprintf(buf, n, "%s(gain %g)", init_name(t->init), t->init_a);
    break;
  default:
    snprintf(buf, n, "%s", init_name(t->init));
  }
}

/* ---- text ---- */

static void text_tensors(FILE *f, const char *title, const NetrtTensor *t,
                         int n) {
  char shape[128];
  fprintf(f, "%s:\n", title);
  for (int i = 0; i < n; i++) {
    shape_str(shape, sizeof shape, &t[i]);
    fprintf(f, "  %-20s %s%s\n", t[i].name, elem_type_name(t[i].elem), shape);
  }
}

static void text_params(FILE *f, const NetrtModel *m) {
  char shape[128], init[96];
  fprintf(f, "parameters:\n  %-24s %-16s %10s  %s\n", "name", "shape",
          "count", "init");
  for (int i = 0; i < m->nparams; i++) {
    const NetrtTensor *t = &m->params[i];
    shape_str(shape, sizeof shape, t);
    init_str(init, sizeof init, t);
    fprintf(f, "  %-24s %-16s %10" PRId64 "  %s\n", t->name, shape,
            t->count, init);
  }
  fprintf(f, "  %-24s %-16s %10" PRId64 "  (%" PRId64 " bytes)\n", "total",
          "", m->param_count, m->param_count * m->dtype_bytes);
}

/* Appends ", name value" to buf. */
static void add_hyper(char *buf, size_t n, const char *name, double v) {
  size_t k = strlen(buf);
  if (k < n)
    snprintf(buf + k, n - k, "%s%s %g", k ? ", " : "", name, v);
}

/* The settings the model's optimizer reads, in netrt.h's order, then the
 * clipping that is on. */
static void hyper_str(char *buf, size_t n, const NetrtModel *m) {
  const NetrtHyper *h = &m->train.hyper;
  unsigned opt = NETRT_FOR_ALL & (1u << m->train.optimizer);
  *buf = 0;
#define ADD_USED(ID, field, option, kind, used_by, help) \
  if ((used_by) & opt || ((used_by) == 0 && h->field > 0)) \
    add_hyper(buf, n, #field, h->field);
  NETRT_HYPERPARAMETERS(ADD_USED)
#undef ADD_USED
}

static void text_train(FILE *f, const NetrtModel *m) {
  const NetrtTrain *t = &m->train;
  char hyper[512];
  hyper_str(hyper, sizeof hyper, m);
  fprintf(f, "optimizer: %s\n  %s\n", rt_optimizer_name(t->optimizer),
          hyper);
  fprintf(f, "optimizer state: %" PRId64 " reals\n", m->state_count);
  fprintf(f, "training: batch %" PRId64 ", epochs %" PRId64 ", seed %"
          PRId64 ", shuffle %s, validation %" PRId64 "\n", t->batch,
          t->epochs, t->seed, t->shuffle ? "yes" : "no", t->validation);
  fprintf(f, "data: %s", t->data ? t->data : "(none)");
  for (const char *p = t->data_options; p && *p;) {
    size_t len = strcspn(p, "\n");
    fprintf(f, " %.*s", (int)len, p);
    p += len + (p[len] == '\n');
  }
  fputc('\n', f);
}

/* The CPU features the code needs, and which of them this CPU lacks or
 * this runtime cannot test. */
static void text_cpu(FILE *f, const NetrtModel *m) {
  char all[1024], lacks[1024], untested[1024];
  const char *cf = m->cpu_features;
  if (rt_cpu_list(cf, -1, all, sizeof all) == 0) {
    fprintf(f, "cpu features: none beyond the baseline\n");
    return;
  }
  fprintf(f, "cpu features:");
  rt_wrap(f, all, 13, 2);
  int nlacks = rt_cpu_list(cf, RT_CPU_LACKS, lacks, sizeof lacks);
  int nuntested = rt_cpu_list(cf, RT_CPU_UNTESTED, untested,
                              sizeof untested);
  if (nlacks) {
    fprintf(f, "  this CPU lacks:");
    rt_wrap(f, lacks, 17, 4);
    fprintf(f, "  so the model cannot run here\n");
  } else {
    fprintf(f, "  this CPU has %s\n", nuntested ? "every one this runtime "
            "can test" : "them all");
  }
  if (nuntested) {
    fprintf(f, "  untested (this runtime does not know them):");
    rt_wrap(f, untested, 45, 4);
  }
}

static void info_text(FILE *f, const NetrtModel *m) {
  char shape[128];
  fprintf(f, "model %s: reals of %d bytes, batches of up to %d, netrt ABI "
          "%d\n", m->name, m->dtype_bytes, m->max_batch, m->abi_version);
  fprintf(f, "signature: %s\n", m->signature ? m->signature : "");
  if (m->target)
    fprintf(f, "built for: %s\n", m->target);
  text_cpu(f, m);
  text_tensors(f, "inputs", m->inputs, m->ninputs);
  if (m->min_steps > 1)
    fprintf(f, "  every example at least %" PRId64 " steps long\n",
            m->min_steps);
  text_tensors(f, "targets", m->targets, m->ntargets);
  shape_str(shape, sizeof shape, &m->output);
  fprintf(f, "output: %s%s\n", elem_type_name(m->output.elem), shape);
  text_params(f, m);
  text_train(f, m);
  fprintf(f, "flops per step: %" PRId64 " (batch %d)\n", m->flops_per_step,
          m->max_batch);
  fprintf(f, "workspace: %" PRId64 " bytes\n", m->workspace_bytes);
}

/* ---- JSON ---- */

static void json_tensor(RtJson *j, const NetrtTensor *t, int param) {
  char buf[128];
  rt_json_object_begin(j);
  rt_json_key(j, "name");
  rt_json_string(j, t->name);
  rt_json_key(j, "type");
  rt_json_string(j, elem_type_name(t->elem));
  rt_json_key(j, "shape");
  rt_json_array_begin(j);
  for (int d = 0; d < t->ndim; d++)
    rt_json_int(j, t->dims[d]);
  rt_json_array_end(j);
  rt_json_key(j, "varlen");
  rt_json_bool(j, t->varlen);
  rt_json_key(j, "count");
  rt_json_int(j, t->count);
  if (param) {
    rt_json_key(j, "offset");
    rt_json_int(j, t->offset);
    init_str(buf, sizeof buf, t);
    rt_json_key(j, "init");
    rt_json_string(j, buf);
    rt_json_key(j, "fan_in");
    rt_json_int(j, t->fan_in);
    rt_json_key(j, "fan_out");
    rt_json_int(j, t->fan_out);
  }
  rt_json_object_end(j);
}

static void json_tensors(RtJson *j, const char *key, const NetrtTensor *t,
                         int n, int param) {
  rt_json_key(j, key);
  rt_json_array_begin(j);
  for (int i = 0; i < n; i++)
    json_tensor(j, &t[i], param);
  rt_json_array_end(j);
}

static void json_num(RtJson *j, const char *key, double v) {
  rt_json_key(j, key);
  rt_json_double(j, v);
}

static void json_hyper(RtJson *j, const NetrtModel *m) {
  const NetrtHyper *h = &m->train.hyper;
  rt_json_key(j, "optimizer");
  rt_json_object_begin(j);
  rt_json_key(j, "name");
  rt_json_string(j, rt_optimizer_name(m->train.optimizer));
#define JSON_HYPER(ID, field, ...) json_num(j, #field, h->field);
  NETRT_HYPERPARAMETERS(JSON_HYPER)
#undef JSON_HYPER
  rt_json_object_end(j);
}

static void json_int(RtJson *j, const char *key, int64_t v) {
  rt_json_key(j, key);
  rt_json_int(j, v);
}

static void json_train(RtJson *j, const NetrtTrain *t) {
  rt_json_key(j, "train");
  rt_json_object_begin(j);
  json_int(j, "batch", t->batch);
  json_int(j, "epochs", t->epochs);
  json_int(j, "seed", t->seed);
  rt_json_key(j, "shuffle");
  rt_json_bool(j, t->shuffle != 0);
  json_int(j, "validation", t->validation);
  rt_json_key(j, "data");
  if (t->data)
    rt_json_string(j, t->data);
  else
    rt_json_null(j);
  rt_json_key(j, "data_options");
  rt_json_string(j, t->data_options ? t->data_options : "");
  rt_json_object_end(j);
}

/* "key": the features of m's list for which rt_cpu_has() is has (every
 * one when has is -1). */
static void json_cpu(RtJson *j, const char *key, const NetrtModel *m,
                     int has) {
  rt_json_key(j, key);
  rt_json_array_begin(j);
  for (const char *p = m->cpu_features ? m->cpu_features : ""; *p;) {
    size_t len = rt_cpu_item(p);
    char name[64];
    if (len && len < sizeof name &&
        (has < 0 || (int)rt_cpu_has(p, len) == has)) {
      memcpy(name, p, len);
      name[len] = '\0';
      rt_json_string(j, name);
    }
    p += len;
    p += strspn(p, ", \t\n");
  }
  rt_json_array_end(j);
}

static void info_json(RtJson *j, const NetrtModel *m) {
  rt_json_object_begin(j);
  rt_json_key(j, "command");
  rt_json_string(j, "info");
  rt_json_key(j, "model");
  rt_json_string(j, m->name);
  rt_json_key(j, "signature");
  rt_json_string(j, m->signature ? m->signature : "");
  json_int(j, "abi_version", m->abi_version);
  rt_json_key(j, "target");
  rt_json_string(j, m->target ? m->target : "");
  json_cpu(j, "cpu_features", m, -1);
  json_cpu(j, "cpu_lacks", m, RT_CPU_LACKS);
  json_cpu(j, "cpu_untested", m, RT_CPU_UNTESTED);
  json_int(j, "dtype_bytes", m->dtype_bytes);
  json_int(j, "max_batch", m->max_batch);
  json_int(j, "min_steps", m->min_steps > 1 ? m->min_steps : 1);
  json_tensors(j, "inputs", m->inputs, m->ninputs, 0);
  json_tensors(j, "targets", m->targets, m->ntargets, 0);
  rt_json_key(j, "output");
  json_tensor(j, &m->output, 0);
  json_tensors(j, "params", m->params, m->nparams, 1);
  json_int(j, "param_count", m->param_count);
  json_int(j, "param_bytes", m->param_count * m->dtype_bytes);
  json_int(j, "state_count", m->state_count);
  json_hyper(j, m);
  json_train(j, &m->train);
  json_int(j, "flops_per_step", m->flops_per_step);
  json_int(j, "workspace_bytes", m->workspace_bytes);
  rt_json_object_end(j);
}

int rt_cmd_info(const NetrtModel *m, RtOpts *o) {
  RtJson j;
  int rc = 0;
  if (!o->json) {
    info_text(stdout, m);
    return 0;
  }
  rt_json_init(&j);
  info_json(&j, m);
  rc = rt_json_print(o, &j);
  rt_json_free(&j);
  return rc;
}
