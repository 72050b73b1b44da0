/* compiler/frontend.c — parse the prelude and a model, and check them
 * (check.c, then the steps its sequences need: steps.c).  The two stages
 * are separate calls for the driver, which stops between them for
 * --dump=parse, and one call (frontend_check) for the tests. */
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

/* The prelude is parsed first, so that its errors (our bugs) are told
 * apart from the model's. */
const Node *frontend_parse(const SrcFile *file) {
  frontend_prelude();
  if (diag_error_count())
    DIE("the prelude does not parse");
  return parse_file(file);
}

Model *frontend_check_tree(const Node *tree, Define *defines, int ndefines) {
  Model *m = check_model(tree, frontend_prelude(), defines, ndefines);
  if (!diag_error_count())
    steps_check(m, tree);
  return diag_error_count() ? NULL : m;
}

Model *frontend_check(const SrcFile *file, Define *defines, int ndefines) {
  const Node *tree = frontend_parse(file);
  if (diag_error_count())
    return NULL;
  return frontend_check_tree(tree, defines, ndefines);
}
