/* compiler/arena.h — the compiler's memory: one arena, freed at exit.
 *
 * The compiler is a short-lived program: every AST node, type, string and
 * table lives until the process ends, so nothing is freed one by one.
 * arena_free_all() releases everything (tests call it between cases).
 */
#ifndef NETC_ARENA_H
#define NETC_ARENA_H

#include <stddef.h>

void *arena_alloc(size_t size);           /* zeroed, max-aligned */
char *arena_strdup(const char *s);
char *arena_strndup(const char *s, size_t n);
char *arena_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void arena_free_all(void);

#define arena_new(T) ((T *)arena_alloc(sizeof(T)))
#define arena_array(T, n) ((T *)arena_alloc(sizeof(T) * (size_t)(n)))

#endif
