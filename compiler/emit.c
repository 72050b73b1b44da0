/* compiler/emit.c — from the generated LLVM module to files.
 *
 * Optimizes with the new pass manager for the host CPU (or -march= and
 * --target=), then writes an object file, assembly or IR, or links an
 * executable: the object plus libnetrt (which holds main) through the
 * system C compiler driver.  For netc run, it loads the module into an
 * LLJIT instead and hands back the address of its descriptor.  The
 * driver generates the module (cg_module) on both paths; only the JIT's
 * LLVM context, which the module must be built in, comes from here.
 */
#include <config.h>

#include "emit.h"

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

/* Links object into path, the file that becomes output. */
static int run_linker(const char *object, const char *path,
                      const char *output) {
  const char *cc = getenv("CC");
  if (!cc || !*cc)
    cc = "cc";
  const char *dir = runtime_dir();
  char *lib = arena_printf("%s/libnetrt.a", dir);
  if (access(lib, R_OK) != 0) {
    diag_fatal_noloc("cannot find the runtime library '%s' (set "
                     "NETC_RUNTIME_DIR to the folder that holds it)", lib);
    return 1;
  }
  pid_t pid = fork();
  if (pid < 0) {
    diag_fatal_noloc("cannot start the linker: %s", strerror(errno));
    return 1;
  }
  if (pid == 0) {
#ifdef NETC_SANITIZED_RUNTIME
    execlp(cc, cc, "-fsanitize=address,undefined", "-o", path, object, lib,
           "-lz", "-lm", "-lpthread", (char *)NULL);
#else
    execlp(cc, cc, "-o", path, object, lib, "-lz", "-lm", "-lpthread",
           (char *)NULL);
#endif
    fprintf(stderr, "netc: error: cannot run '%s': %s\n", cc,
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
                            const char *output) {
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
    status = run_linker(object, out.tmp, output);
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
      status = write_executable(tm, mod, o->output);
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
