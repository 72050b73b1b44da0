/* compiler/arena.c — bump allocation in large chunks. */
#include <config.h>

#include "arena.h"

#include <stdarg.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CHUNK_SIZE = 1 << 16 };

typedef struct Chunk {
  struct Chunk *next;
  size_t used, size;
  alignas(max_align_t) unsigned char data[];
} Chunk;

static Chunk *chunks;

static Chunk *new_chunk(size_t need) {
  size_t size = need > CHUNK_SIZE ? need : CHUNK_SIZE;
  Chunk *c = malloc(sizeof(Chunk) + size);
  if (!c) {
    fprintf(stderr, "netc: out of memory\n");
    exit(1);
  }
  c->used = 0;
  c->size = size;
  c->next = chunks;
  chunks = c;
  return c;
}

void *arena_alloc(size_t size) {
  size_t align = alignof(max_align_t);
  size = (size + align - 1) / align * align;
  if (size == 0)
    size = align;
  Chunk *c = chunks;
  if (!c || c->size - c->used < size)
    c = new_chunk(size);
  void *p = c->data + c->used;
  c->used += size;
  memset(p, 0, size);
  return p;
}

char *arena_strndup(const char *s, size_t n) {
  char *p = arena_alloc(n + 1);
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

char *arena_strdup(const char *s) { return arena_strndup(s, strlen(s)); }

char *arena_printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) {
    /* a bad format is our bug, but DIE (diag.h) would bring back the
     * include circle: diag.c allocates from here */
    fprintf(stderr, "netc: internal error at %s:%d: bad format '%s'\n",
            __FILE__, __LINE__, fmt);
    abort();
  }
  char *p = arena_alloc((size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(p, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return p;
}

void arena_free_all(void) {
  while (chunks) {
    Chunk *next = chunks->next;
    free(chunks);
    chunks = next;
  }
}
