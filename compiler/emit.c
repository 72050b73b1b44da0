/* compiler/emit.c — from the generated LLVM module to files.
 *
 * Optimizes with the new pass manager for the host CPU (or -march= and
 * --target=), then writes an object file, assembly or IR, or links an
 * executable: the object plus libnetrt (which holds main) through the
 * system C compiler driver, or for another machine's triple through its
 * cross compiler and its libnetrt.  For netc run, it loads the module
 * into an LLJIT instead and hands back the address of its descriptor.  The
 * driver generates the module (cg_module) on both paths; only the JIT's
 * LLVM context, which the module must be built in, comes from here.
 */
#include <config.h>

#include "emit.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <llvm-c/Core.h>
#include <llvm-c/LLJIT.h>
#include <llvm-c/Orc.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include "arena.h"
#include "outfile.h"

/* Declared here and in codegen.c: only the two LLVM files see the type. */
LLVMModuleRef cg_llvm_module(const CgModule *m);
void cg_release_module(CgModule *m);

const char *emit_llvm_version(void) {
  static char buf[32];
  unsigned major, minor, patch;
  LLVMGetVersion(&major, &minor, &patch);
  snprintf(buf, sizeof buf, "%u.%u.%u", major, minor, patch);
  return buf;
}

static bool host_target(const EmitOptions *o) {
  return (!o->cpu || strcmp(o->cpu, "native") == 0) && !o->triple;
}

static void init_targets(void) {
  LLVMInitializeAllTargetInfos();
  LLVMInitializeAllTargets();
  LLVMInitializeAllTargetMCs();
  LLVMInitializeAllAsmPrinters();
}

/* Whether LLVM can generate code for the triple; else reports it. */
static bool known_triple(const EmitOptions *o, const char *triple,
                         LLVMTargetRef *target) {
  char *err = NULL;
  if (!LLVMGetTargetFromTriple(triple, target, &err))
    return true;
  diag_fatal_noloc("--target=%s: %s", o->triple ? o->triple : triple, err);
  LLVMDisposeMessage(err);
  return false;
}

/* The triple, CPU and features o names, as LLVM spells them: the host's
 * CPU with its features without -march= and --target=, else the named
 * CPU with its standard features (none listed).  In the arena. */
typedef struct LlvmNames {
  const char *triple, *cpu, *features;
  bool host;
} LlvmNames;

static const char *keep(char *llvm_message) {
  const char *s = arena_strdup(llvm_message ? llvm_message : "");
  LLVMDisposeMessage(llvm_message);
  return s;
}

static LlvmNames llvm_names(const EmitOptions *o) {
  init_targets();
  LlvmNames n = {.host = host_target(o)};
  n.triple = keep(o->triple ? LLVMNormalizeTargetTriple(o->triple)
                            : LLVMGetDefaultTargetTriple());
  n.cpu = n.host ? keep(LLVMGetHostCPUName()) : o->cpu ? o->cpu : "";
  n.features = n.host ? keep(LLVMGetHostCPUFeatures()) : "";
  return n;
}

Target emit_target(const EmitOptions *o) {
  LlvmNames n = llvm_names(o);
  LLVMTargetRef known;
  known_triple(o, n.triple, &known);
  Target t = target_describe(n.triple, n.cpu, n.features, n.host);
  if (n.host)
    target_read_host_caches(&t, "/sys/devices/system/cpu/cpu0");
  return t;
}

static LLVMTargetMachineRef target_machine(const EmitOptions *o) {
  LlvmNames n = llvm_names(o);
  LLVMTargetRef target;
  if (!known_triple(o, n.triple, &target))
    return NULL;
  LLVMCodeGenOptLevel level = o->opt_level >= 3 ? LLVMCodeGenLevelAggressive
      : o->opt_level == 0 ? LLVMCodeGenLevelNone : LLVMCodeGenLevelDefault;
  /* An unknown -march= makes LLVM fall back to a generic CPU (it says so
   * on stderr); on x86-64 that CPU must still be told it is 64-bit. */
  const char *features = n.host ? n.features
      : strncmp(n.triple, "x86_64", 6) == 0 ? "+64bit" : "";
  LLVMTargetMachineRef tm = LLVMCreateTargetMachine(
      target, n.triple, n.cpu, features, level, LLVMRelocPIC,
      LLVMCodeModelDefault);
  if (!tm)
    diag_fatal_noloc("cannot create a target machine for -march=%s",
                     o->cpu ? o->cpu : "(host)");
  return tm;
}

static int optimize(LLVMModuleRef mod, LLVMTargetMachineRef tm, int level) {
  char *triple = LLVMGetTargetMachineTriple(tm);
  LLVMSetTarget(mod, triple);
  LLVMDisposeMessage(triple);
  LLVMTargetDataRef layout = LLVMCreateTargetDataLayout(tm);
  char *dl = LLVMCopyStringRepOfTargetData(layout);
  LLVMSetDataLayout(mod, dl);
  LLVMDisposeMessage(dl);
  LLVMDisposeTargetData(layout);
  LLVMPassBuilderOptionsRef opts = LLVMCreatePassBuilderOptions();
  char passes[32];
  snprintf(passes, sizeof passes, "default<O%d>", level);
  LLVMErrorRef err = LLVMRunPasses(mod, passes, tm, opts);
  LLVMDisposePassBuilderOptions(opts);
  if (err) {
    char *msg = LLVMGetErrorMessage(err);
    DIE("LLVM passes failed: %s", msg);
  }
  return 0;
}

static int write_ir(LLVMModuleRef mod, const char *path) {
  char *text = LLVMPrintModuleToString(mod);
  int status = outfile_write(path, text, strlen(text));
  LLVMDisposeMessage(text);
  return status;
}

/* Object code or assembly, generated in memory and written by outfile.c:
 * LLVM's own file streams end the process on a write error. */
static int write_machine_code(LLVMTargetMachineRef tm, LLVMModuleRef mod,
                              const char *path, LLVMCodeGenFileType type) {
  char *err = NULL;
  LLVMMemoryBufferRef buf;
  if (LLVMTargetMachineEmitToMemoryBuffer(tm, mod, type, &err, &buf)) {
    diag_fatal_noloc("cannot generate code: %s", err);
    LLVMDisposeMessage(err);
    return 1;
  }
  int status = outfile_write(path, LLVMGetBufferStart(buf),
                             LLVMGetBufferSize(buf));
  LLVMDisposeMemoryBuffer(buf);
  return status;
}

/* Where libnetrt.a is: $NETC_RUNTIME_DIR, else beside netc itself (the
 * build tree's runtime/, or the lib/ of the prefix netc runs from), else
 * the library directory netc was configured for. */
static const char *runtime_dir(void) {
  const char *env = getenv("NETC_RUNTIME_DIR");
  if (env && *env)
    return env;
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash) {
      *slash = '\0';
      static const char *near[] = {"../runtime", "../lib"};
      for (int i = 0; i < 2; i++) {
        char *dir = arena_printf("%s/%s", self, near[i]);
        if (access(arena_printf("%s/libnetrt.a", dir), R_OK) == 0)
          return dir;
      }
    }
  }
  return NETC_LIBDIR;
}

/* A triple as GNU toolchains and Debian name it: LLVM's normal form
 * without its vendor when that is "unknown" or "pc" (aarch64-linux-gnu
 * for aarch64-unknown-linux-gnu or aarch64-linux-gnu, x86_64-linux-gnu
 * for x86_64-pc-linux-gnu).  In the arena. */
static const char *gnu_triple(const char *triple) {
  const char *s = keep(LLVMNormalizeTargetTriple(triple));
  const char *vendor = strchr(s, '-');
  const char *rest = vendor ? strchr(vendor + 1, '-') : NULL;
  if (!rest)
    return s;
  int len = (int)(rest - vendor - 1);
  if ((len == 7 && strncmp(vendor + 1, "unknown", 7) == 0) ||
      (len == 2 && strncmp(vendor + 1, "pc", 2) == 0))
    return arena_printf("%.*s%s", (int)(vendor - s), s, rest);
  return s;
}

/* The GNU name of the machine --target= names when it is not this one;
 * NULL for this machine. */
static const char *cross_triple(const EmitOptions *o) {
  if (!o->triple)
    return NULL;
  char *host = LLVMGetDefaultTargetTriple();
  const char *host_gnu = gnu_triple(host);
  LLVMDisposeMessage(host);
  const char *t = gnu_triple(o->triple);
  return strcmp(t, host_gnu) == 0 ? NULL : t;
}

/* What links an executable: a C compiler driver and libnetrt.a. */
typedef struct Linker {
  const char *cc, *lib;
  bool sanitized;   /* the runtime is built with ASan and UBSan */
} Linker;

static bool host_linker(Linker *l) {
  l->cc = getenv("CC");
  if (!l->cc || !*l->cc)
    l->cc = "cc";
  l->lib = arena_printf("%s/libnetrt.a", runtime_dir());
  if (access(l->lib, R_OK) != 0) {
    diag_fatal_noloc("cannot find the runtime library '%s' (set "
                     "NETC_RUNTIME_DIR to the folder that holds it)", l->lib);
    return false;
  }
#ifdef NETC_SANITIZED_RUNTIME
  l->sanitized = true;
#endif
  return true;
}

/* Whether cmd can be run: a path to an executable file, or a name found
 * in $PATH (an empty entry is the current directory). */
static bool runnable(const char *cmd) {
  if (strchr(cmd, '/'))
    return access(cmd, X_OK) == 0;
  const char *p = getenv("PATH");
  for (p = p ? p : "/usr/bin:/bin";; p++) {
    int n = (int)strcspn(p, ":");
    char *file = n ? arena_printf("%.*s/%s", n, p, cmd) : arena_strdup(cmd);
    if (access(file, X_OK) == 0)
      return true;
    p += n;
    if (!*p)
      return false;
  }
}

/* The environment variable that names triple's C compiler: NETC_CC_ and
 * the triple with every character but letters and digits as '_'. */
static const char *cc_variable(const char *triple) {
  char *name = arena_printf("NETC_CC_%s", triple);
  for (char *c = name + strlen("NETC_CC_"); *c; c++)
    if (!isalnum((unsigned char)*c))
      *c = '_';
  return name;
}

/* triple's C compiler when $NETC_CC_TRIPLE names none: the cross
 * compiler configure built the aarch64 runtime with, else TRIPLE-gcc. */
static const char *default_cross_cc(const char *triple) {
#ifdef NETC_CROSS_AARCH64_CC
  if (strcmp(triple, "aarch64-linux-gnu") == 0)
    return NETC_CROSS_AARCH64_CC;
#endif
  return arena_printf("%s-gcc", triple);
}

/* Another machine's linker: $NETC_CC_TRIPLE or the default compiler, and
 * the runtime in TRIPLE/ (a build tree's runtime/) or netc/TRIPLE/ (an
 * installed lib/) of the folder that holds the host's. */
static bool cross_linker(Linker *l, const char *triple) {
  const char *var = cc_variable(triple);
  l->cc = getenv(var);
  if (!l->cc || !*l->cc)
    l->cc = default_cross_cc(triple);
  bool aarch64 = strcmp(triple, "aarch64-linux-gnu") == 0;
  if (!runnable(l->cc)) {
    diag_fatal_noloc("no C compiler to link for %s: cannot run '%s' (%s%s "
                     "names another)", triple, l->cc, aarch64 ?
                     "tools/setup --cross installs it; " : "", var);
    return false;
  }
  const char *dir = runtime_dir();
  const char *in_build = arena_printf("%s/%s/libnetrt.a", dir, triple);
  l->lib = arena_printf("%s/netc/%s/libnetrt.a", dir, triple);
  if (access(in_build, R_OK) == 0)
    l->lib = in_build;
  else if (access(l->lib, R_OK) != 0) {
    diag_fatal_noloc("cannot find the runtime library for %s: neither "
                     "'%s' nor '%s' exists (%sset NETC_RUNTIME_DIR to a "
                     "folder with %s/libnetrt.a)", triple, in_build, l->lib,
                     aarch64 ? "build netc after tools/setup --cross, which "
                     "installs the cross compiler that builds it, or " : "",
                     triple);
    return false;
  }
  return true;
}

/* Links object into path, the file that becomes output. */
static int run_linker(const Linker *l, const char *object, const char *path,
                      const char *output) {
  pid_t pid = fork();
  if (pid < 0) {
    diag_fatal_noloc("cannot start the linker: %s", strerror(errno));
    return 1;
  }
  if (pid == 0) {
    if (l->sanitized)
      execlp(l->cc, l->cc, "-fsanitize=address,undefined", "-o", path,
             object, l->lib, "-lz", "-lm", "-lpthread", (char *)NULL);
    else
      execlp(l->cc, l->cc, "-o", path, object, l->lib, "-lz", "-lm",
             "-lpthread", (char *)NULL);
    fprintf(stderr, "netc: error: cannot run '%s': %s\n", l->cc,
            strerror(errno));
    _exit(127);
  }
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      break;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    diag_fatal_noloc("linking '%s' failed", output);
    return 1;
  }
  return 0;
}

/* The linker writes the executable into a temporary beside it, renamed
 * into place once linked, as outfile.c does for the other outputs. */
static int write_executable(LLVMTargetMachineRef tm, LLVMModuleRef mod,
                            const EmitOptions *o) {
  const char *output = o->output, *cross = cross_triple(o);
  Linker l = {0};
  if (!(cross ? cross_linker(&l, cross) : host_linker(&l)))
    return 1;
  char object[] = "/tmp/netc-XXXXXX.o";
  int fd = mkstemps(object, 2);
  if (fd < 0) {
    diag_fatal_noloc("cannot create a temporary file: %s", strerror(errno));
    return 1;
  }
  close(fd);
  OutFile out;
  int status = write_machine_code(tm, mod, object, LLVMObjectFile);
  if (status == 0)
    status = outfile_reserve(&out, output);
  if (status == 0) {
    status = run_linker(&l, object, out.tmp, output);
    if (status == 0)
      status = outfile_commit(&out);
    else
      outfile_abandon(&out);
  }
  unlink(object);
  return status;
}

int emit_module(CgModule *m, const EmitOptions *o) {
  LLVMModuleRef mod = cg_llvm_module(m);
  LLVMTargetMachineRef tm = target_machine(o);
  if (!tm)
    return 1;
  int status = optimize(mod, tm, o->opt_level);
  if (status == 0) {
    switch (o->kind) {
    case EMIT_LLVM: status = write_ir(mod, o->output); break;
    case EMIT_ASSEMBLY:
      status = write_machine_code(tm, mod, o->output, LLVMAssemblyFile);
      break;
    case EMIT_OBJECT:
      status = write_machine_code(tm, mod, o->output, LLVMObjectFile);
      break;
    case EMIT_EXECUTABLE:
      status = write_executable(tm, mod, o);
      break;
    }
  }
  LLVMDisposeTargetMachine(tm);
  return status;
}

/* The first line of every header netc writes. */
static const char header_mark[] =
    "/* Generated by netc: do not edit; netc -c rewrites this file. */";

/* path as a comment can hold it: bytes outside printable ASCII, '*' (no
 * path can end the comment) and '\\' as \xNN. */
static const char *comment_text(const char *path) {
  char *out = arena_alloc(4 * strlen(path) + 1), *o = out;
  for (const unsigned char *p = (const unsigned char *)path; *p; p++)
    if (*p < 32 || *p > 126 || *p == '*' || *p == '\\')
      o += sprintf(o, "\\x%02x", *p);
    else
      *o++ = (char)*p;
  *o = '\0';
  return out;
}

/* Whether line, a file's first, says that netc wrote the file: this
 * netc's mark, or the first line of an earlier netc's headers, "PATH:
 * generated by netc from MODEL; do not edit.". */
static bool netc_mark(const char *line) {
  static const char old_end[] = "; do not edit. */";
  size_t n = strlen(line), m = sizeof old_end - 1;
  if (strcmp(line, header_mark) == 0)
    return true;
  return strncmp(line, "/* ", 3) == 0 &&
         strstr(line, ": generated by netc from ") != NULL && n > m &&
         strcmp(line + n - m, old_end) == 0;
}

/* Whether the file at path is empty (nothing in it to lose) or starts
 * with netc's mark; false when it cannot be read. */
static bool netc_wrote(const char *path) {
  FILE *fp = fopen(path, "r");
  if (!fp)
    return false;
  char line[4096];
  bool got = fgets(line, sizeof line, fp) != NULL;
  bool empty = !got && !ferror(fp);
  fclose(fp);
  if (got)
    line[strcspn(line, "\n")] = '\0';
  return empty || (got && netc_mark(line));
}

int emit_check_header(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0)
    return 0;     /* none there, or a path that writing will report on */
  if (S_ISREG(st.st_mode) && netc_wrote(path))
    return 0;
  diag_fatal_noloc("'%s' exists and netc did not write it, so -c does not "
                   "replace it: remove it, or name the object otherwise "
                   "with -o", path);
  return 1;
}

/* model_name is an identifier: the model statement's, or the file's name
 * with every other byte made '_' (check.c). */
int emit_header(const char *path, const char *model_name,
                const char *source) {
  const char *text = arena_printf(
      "%s\n/* The model file: %s */\n"
      "#ifndef NETC_MODEL_%s_H\n#define NETC_MODEL_%s_H\n\n"
      "#include <netrt.h>\n\n"
      "/* The model: sizes, tensors, training defaults, entry points\n"
      " * (see netrt.h).  Link the object file with libnetrt for its\n"
      " * loaders and training loop, or call the entry points. */\n"
      "extern const NetrtModel netc_model_%s;\n\n#endif\n",
      header_mark, comment_text(source), model_name, model_name,
      model_name);
  return outfile_write(path, text, strlen(text));
}

/* ---- in memory: netc run ---------------------------------------------- */

struct JitContext {
  LLVMOrcThreadSafeContextRef tsc;
};

struct Jit {
  LLVMOrcLLJITRef jit;
};

JitContext *emit_jit_context(CodegenOptions *cgo) {
  JitContext *c = calloc(1, sizeof *c);
  if (!c)
    DIE("out of memory");
  c->tsc = LLVMOrcCreateNewThreadSafeContext();
  cgo->context = LLVMOrcThreadSafeContextGetContext(c->tsc);
  return c;
}

static void free_jit_context(JitContext *c) {
  LLVMOrcDisposeThreadSafeContext(c->tsc);
  free(c);
}

static bool jit_failed(LLVMErrorRef err, const char *what) {
  if (!err)
    return false;
  char *msg = LLVMGetErrorMessage(err);
  diag_fatal_noloc("%s: %s", what, msg);
  LLVMDisposeErrorMessage(msg);
  return true;
}

/* Starts a JIT that resolves the module's calls into the C library from
 * the libraries netc runs with. */
static Jit *start_jit(void) {
  Jit *j = calloc(1, sizeof *j);
  if (!j)
    DIE("out of memory");
  if (jit_failed(LLVMOrcCreateLLJIT(&j->jit, NULL), "cannot start the JIT")) {
    free(j);
    return NULL;
  }
  LLVMOrcJITDylibRef jd = LLVMOrcLLJITGetMainJITDylib(j->jit);
  LLVMOrcDefinitionGeneratorRef gen;
  if (!jit_failed(LLVMOrcCreateDynamicLibrarySearchGeneratorForProcess(
          &gen, LLVMOrcLLJITGetGlobalPrefix(j->jit), NULL, NULL),
          "cannot resolve the C library in the JIT"))
    LLVMOrcJITDylibAddGenerator(jd, gen);
  return j;
}

/* Loads tsm into a new JIT; *addr is symbol's address. */
static Jit *load_module(LLVMOrcThreadSafeModuleRef tsm, const char *symbol,
                        const void **addr) {
  Jit *j = start_jit();
  if (!j) {
    LLVMOrcDisposeThreadSafeModule(tsm);
    return NULL;
  }
  LLVMOrcJITDylibRef jd = LLVMOrcLLJITGetMainJITDylib(j->jit);
  LLVMOrcExecutorAddress at = 0;
  if (jit_failed(LLVMOrcLLJITAddLLVMIRModule(j->jit, jd, tsm),
                 "cannot add the model to the JIT") ||
      jit_failed(LLVMOrcLLJITLookup(j->jit, &at, symbol),
                 "cannot find the model in the JIT")) {
    emit_jit_free(j);
    return NULL;
  }
  *addr = (const void *)(uintptr_t)at;
  return j;
}

/* Optimizes m (built in c's context) and loads it into a new JIT. */
Jit *emit_jit_module(CgModule *m, JitContext *c, const EmitOptions *o,
                     const void **symbol) {
  LLVMTargetMachineRef tm = target_machine(o);
  if (!tm) {
    cg_free(m);
    free_jit_context(c);
    return NULL;
  }
  optimize(cg_llvm_module(m), tm, o->opt_level);
  LLVMDisposeTargetMachine(tm);
  LLVMOrcThreadSafeModuleRef tsm =
      LLVMOrcCreateNewThreadSafeModule(cg_llvm_module(m), c->tsc);
  cg_release_module(m);
  const char *name = arena_strdup(cg_descriptor_name(m));
  cg_free(m);
  free_jit_context(c);       /* the module keeps the context alive */
  return load_module(tsm, name, symbol);
}

/* The machine o names, for callers that did not say (in the arena, as
 * long as the options that point at it). */
static const Target *host_for(const EmitOptions *o) {
  Target *t = arena_new(Target);
  *t = emit_target(o);
  return t;
}

Jit *emit_jit(const IrProgram *p, CodegenOptions *cgo, const EmitOptions *o,
              const void **descriptor) {
  if (!cgo->target)
    cgo->target = host_for(o);
  JitContext *c = emit_jit_context(cgo);
  PlanTarget t = cg_plan_target(cgo);
  return emit_jit_module(cg_module(p, plan_program(p, &t), cgo), c, o,
                         descriptor);
}

Jit *emit_jit_gemm(const CgGemmShape *s, CodegenOptions *cgo,
                   const EmitOptions *o, const void **fn) {
  if (!cgo->target)
    cgo->target = host_for(o);
  JitContext *c = emit_jit_context(cgo);
  return emit_jit_module(cg_gemm_module(s, cgo), c, o, fn);
}

void emit_jit_free(Jit *j) {
  if (!j)
    return;
  LLVMOrcDisposeLLJIT(j->jit);
  free(j);
}
