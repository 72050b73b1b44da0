/* compiler/lexer.h — the scanner's state shared with the parser. */
#ifndef NETC_LEXER_H
#define NETC_LEXER_H

#include <stdio.h>

#include "diag.h"

/* Per-scanner state (flex's yyextra): the file and the position of the
 * next byte, for token locations. */
typedef struct LexState {
  const SrcFile *file;
  int line, col;
} LexState;

void lex_dump_tokens(FILE *out, const SrcFile *file);

#endif
