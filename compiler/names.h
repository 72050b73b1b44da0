/* compiler/names.h — a hash table from names to pointers, for the
 * checker's scopes and layers: declaring and looking up a name take the
 * same time in a model of ten names and one of a hundred thousand.
 *
 * The table lives in the arena (arena.h): a full one is replaced by one
 * twice its size, the old one left to the arena.  A zeroed NameTable is
 * empty.
 */
#ifndef NETC_NAMES_H
#define NETC_NAMES_H

typedef struct NameSlot {
  const char *name;    /* NULL: free */
  void *value;
} NameSlot;

typedef struct NameTable {
  NameSlot *slots;
  int cap;             /* a power of two, or 0 */
  int n;
} NameTable;

/* The value last put under name, or NULL. */
void *names_get(const NameTable *t, const char *name);

/* Puts value under name, replacing what was there.  name must live as
 * long as the table (an arena string, a string constant). */
void names_put(NameTable *t, const char *name, void *value);

#endif
