/* compiler/frontend.c — parse the prelude and a model, and check them
 * (check.c, then the steps its sequences need: steps.c). */
#include <config.h>

#include "frontend.h"

#include <string.h>

#include "parse.h"
#include "steps.h"

const Node *frontend_prelude(void) {
  static const Node *prelude;
  if (!prelude) {
    const SrcFile *f = src_from_string("<prelude>", prelude_source,
                                       strlen(prelude_source));
    prelude = parse_file(f);
  }
  return prelude;
}

Model *frontend_check(const SrcFile *file, Define *defines, int ndefines) {
  const Node *prelude = frontend_prelude();
  if (diag_error_count())
    DIE("the prelude does not parse");
  const Node *tree = parse_file(file);
  if (diag_error_count())
    return NULL;
  Model *m = check_model(tree, prelude, defines, ndefines);
  if (!diag_error_count())
    steps_check(m, tree);
  return diag_error_count() ? NULL : m;
}
