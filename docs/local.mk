# docs/local.mk — the documentation: the man pages of netc and of the
# executables it builds, the Markdown guides; and installcheck, which
# proves that an installed netc compiles and links models from any
# directory.
dist_man_MANS = docs/netc.1 docs/netc-model.1
dist_doc_DATA = docs/language.md docs/netc.md docs/executables.md \
  docs/ir.md docs/performance.md

# The installed netc, run in an empty temporary directory, must find its
# runtime by itself (beside its binary, or in $(libdir)); NETC_RUNTIME_DIR
# from the environment is dropped.  Under a staged install (DESTDIR) the
# runtime is not where netc was configured to look, so it points there.
# examples/xor.net has no data source: its executable shows `info` and
# checks its gradients (in f64), and a C program embeds it against the
# installed netrt.h; tiny_mlp_relu.net generates its data and trains.
# With the aarch64 runtime built, netc links xor.net for aarch64 with the
# installed one.
installcheck-local:
	@netc='$(DESTDIR)$(bindir)/netc$(EXEEXT)'; \
	tmp=`mktemp -d "$${TMPDIR:-/tmp}/netc-installcheck.XXXXXX"` || exit 1; \
	unset NETC_RUNTIME_DIR || :; \
	if test -n '$(DESTDIR)'; then \
	  NETC_RUNTIME_DIR='$(DESTDIR)$(libdir)'; export NETC_RUNTIME_DIR; \
	fi; \
	( set -e; cd "$$tmp"; \
	  set -x; \
	  test -f '$(DESTDIR)$(man1dir)/netc.1'; \
	  test -f '$(DESTDIR)$(man1dir)/netc-model.1'; \
	  "$$netc" --version; \
	  "$$netc" '$(abs_top_srcdir)/examples/xor.net' -o xor; \
	  ./xor info; \
	  ./xor info --json >info.json; \
	  grep '^{"command":"info","model":"xor"' info.json >/dev/null; \
	  "$$netc" --dtype=f64 '$(abs_top_srcdir)/examples/xor.net' -o xor64; \
	  ./xor64 gradcheck --json >gradcheck.json; \
	  grep '"passed":true}$$' gradcheck.json >/dev/null; \
	  "$$netc" -c '$(abs_top_srcdir)/examples/xor.net' -o xor.o; \
	  $(CC) $(CFLAGS) -I'$(DESTDIR)$(includedir)' -I. \
	    '$(abs_top_srcdir)/examples/embed.c' xor.o -lm -o embed; \
	  ./embed; \
	  "$$netc" '$(abs_top_srcdir)/models/tiny_mlp_relu.net' -o tiny; \
	  ./tiny train --epochs 2 --json >train.json; \
	  grep '^{"command":"train",.*"history":\[{"epoch":1,.*{"epoch":2,' \
	    train.json >/dev/null; \
	  if test -n '$(CROSS_AARCH64_CC)'; then \
	    "$$netc" --target=aarch64-linux-gnu \
	      '$(abs_top_srcdir)/examples/xor.net' -o xor-aarch64; \
	    od -An -tx1 -j18 -N2 xor-aarch64 | grep ' b7 00' >/dev/null; \
	  fi; \
	); rc=$$?; rm -rf "$$tmp"; \
	if test $$rc -eq 0; then echo "installcheck: the installed netc works"; \
	else echo "installcheck: FAILED (status $$rc)" >&2; fi; \
	exit $$rc
