/* compiler/names.c — the name table of names.h: open addressing with
 * linear probing, kept at most half full.
 *
 * Input: names and the pointers filed under them.  Output: lookups.
 */
#include <config.h>

#include "names.h"

#include <stdint.h>
#include <string.h>

#include "arena.h"

enum { FIRST_CAP = 16 };

/* FNV-1a: short names, few collisions, no need for more. */
static uint32_t hash(const char *name) {
  uint32_t h = 2166136261u;
  for (const unsigned char *p = (const unsigned char *)name; *p; p++)
    h = (h ^ *p) * 16777619u;
  return h;
}

/* The slot that holds name, or the free one where it would go. */
static NameSlot *find_slot(const NameTable *t, const char *name) {
  uint32_t mask = (uint32_t)t->cap - 1;
  for (uint32_t i = hash(name) & mask;; i = (i + 1) & mask) {
    NameSlot *s = &t->slots[i];
    if (!s->name || strcmp(s->name, name) == 0)
      return s;
  }
}

static void grow(NameTable *t) {
  int cap = t->cap ? 2 * t->cap : FIRST_CAP;
  NameTable bigger = {arena_array(NameSlot, cap), cap, t->n};
  for (int i = 0; i < t->cap; i++)
    if (t->slots[i].name)
      *find_slot(&bigger, t->slots[i].name) = t->slots[i];
  *t = bigger;
}

void *names_get(const NameTable *t, const char *name) {
  if (t->cap == 0)
    return NULL;
  return find_slot(t, name)->value;
}

void names_put(NameTable *t, const char *name, void *value) {
  if (2 * (t->n + 1) > t->cap)
    grow(t);
  NameSlot *s = find_slot(t, name);
  if (!s->name) {
    s->name = name;
    t->n++;
  }
  s->value = value;
}
