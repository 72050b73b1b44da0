/* compiler/parse.h — the parser's entry point. */
#ifndef NETC_PARSE_H
#define NETC_PARSE_H

#include "ast.h"

/* Parses a whole file into an ND_FILE node.  Syntax errors are reported
 * with diag_error() and the parser recovers, so the tree is partial but
 * always returned. */
Node *parse_file(const SrcFile *file);

/* The name the grammar gives a token, as in "unexpected identifier". */
const char *parse_token_name(int token);

#endif
