/* compiler/frontend.h — the front end as one call: read, parse, check. */
#ifndef NETC_FRONTEND_H
#define NETC_FRONTEND_H

#include "check.h"

extern const char prelude_source[];

const Node *frontend_prelude(void);          /* parsed once */

/* Parses and checks a file; NULL after errors (already reported). */
Model *frontend_check(const SrcFile *file, Define *defines, int ndefines);

#endif
