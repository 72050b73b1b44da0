/* compiler/frontend.h — the front end: parse, then check; or both in one
 * call. */
#ifndef NETC_FRONTEND_H
#define NETC_FRONTEND_H

#include "check.h"

extern const char prelude_source[];

const Node *frontend_prelude(void);          /* parsed once */

/* Parses a file, after the prelude; the tree is partial after syntax
 * errors (already reported), as parse_file's is. */
const Node *frontend_parse(const SrcFile *file);

/* Checks a tree that parsed without errors; NULL after errors (already
 * reported). */
Model *frontend_check_tree(const Node *tree, Define *defines, int ndefines);

/* frontend_parse, then frontend_check_tree when it parsed. */
Model *frontend_check(const SrcFile *file, Define *defines, int ndefines);

#endif
