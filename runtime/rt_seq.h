/* runtime/rt_seq.h — sequence data sources: a text for next-character
 * prediction (experiments A and B), index recall (G) and binary addition
 * (H).  Each fills an RtDataset with per-example lengths (rt_data.h
 * describes the layout and the batches, padded with zeros past each
 * example's length).
 *
 * Errors and memory as rt_data.h's loaders: 0, or -1 with one message
 * in err[0..errsz) (err may be NULL) and *ds left empty; a source never
 * prints, exits or crashes on bad arguments; rt_dataset_free() releases
 * what a source allocates.  The generated sources are deterministic in
 * their seed (rt_rng.h: the same on every platform).
 */
#ifndef NETC_RT_SEQ_H
#define NETC_RT_SEQ_H

#include <stddef.h>
#include <stdint.h>

#include "rt_data.h"

#define RT_TEXT_MAX_BYTES (16u << 20)   /* rt_text_file's limit: 16 MB */
#define RT_SEQ_MAX_STEPS (1 << 24)      /* longest generated sequence */
#define RT_BINARY_EVAL_MAX_LEN 20       /* experiment H's evaluation: */
#define RT_BINARY_EVAL_PER_LENGTH 100   /* 100 pairs of each length 1..20 */

/* Next-character prediction on one text of len bytes (at least 2, no NUL
 * byte): one example of T = len - 1 steps.  The vocabulary is the text's
 * distinct bytes sorted ascending, and a character's class is its rank
 * among them: ds->vocab[c] is the byte of class c, ds->classes the
 * vocabulary's size.  The compiler's checker counts the distinct bytes
 * the same way for the constant `vocab`, and T for `T`.  Input:
 * RT_INPUT_ONEHOT, onehot[T, vocab] of bytes 0..T-1; target:
 * RT_TARGET_STEP_CLASS, class[T, vocab] of bytes 1..T. */
int rt_text(RtDataset *ds, const char *text, size_t len, char *err,
            size_t errsz);

/* rt_text() with the vocabulary given: the distinct bytes of
 * vocab[0..vocab_len), sorted ascending, which must hold every byte of
 * the text (sampling may then produce characters the text lacks). */
int rt_text_vocab(RtDataset *ds, const char *text, size_t len,
                  const char *vocab, size_t vocab_len, char *err,
                  size_t errsz);

/* rt_text() on the contents of a regular file of at most 16 MB of plain
 * text (no NUL byte), taken as it is (a final newline is a character). */
int rt_text_file(RtDataset *ds, const char *path, char *err, size_t errsz);

/* The class of byte c in a text dataset's vocabulary, or -1. */
int rt_text_index(const RtDataset *ds, unsigned char c);

/* out[i] = the class of s[i] for i < len (sample's start string); -1
 * with a message naming the first character not in the vocabulary. */
int rt_text_indices(const RtDataset *ds, const char *s, size_t len,
                    int32_t *out, char *err, size_t errsz);

/* Experiment G: count random digit sequences whose lengths are uniform
 * in [min_len, max_len], digits uniform in 0..9; the target is the digit
 * at position k, counting from 1 (1 <= k <= min_len).  Input:
 * RT_INPUT_ONEHOT, onehot[<=max_len, 10] (max_steps = max_len even if no
 * sequence drew it); target: RT_TARGET_CLASS, class[10]. */
int rt_index_recall(RtDataset *ds, int k, int min_len, int max_len,
                    size_t count, uint64_t seed, char *err, size_t errsz);

/* Experiment H: count pairs of operands a, b below 2^(L-1), where the
 * example's length L is uniform in [min_len, max_len], so that their sum
 * fits in L bits.  Step t holds bit t of a and of b (least significant
 * first) and its target is bit t of a + b.  Input: RT_INPUT_F32,
 * float[<=max_len, 2]; target: RT_TARGET_FLOAT, binary[<=max_len]
 * (target_numel = max_len, 0 past the length). */
int rt_binary_add(RtDataset *ds, int min_len, int max_len, size_t count,
                  uint64_t seed, char *err, size_t errsz);

/* Experiment H's evaluation set: per_length pairs of each length 1 to
 * max_len, drawn as rt_binary_add() draws them, grouped by length:
 * examples (L-1) * per_length to L * per_length - 1 have length L, so
 * `eval` can report the bit accuracy of each length.  The experiment's
 * set: RT_BINARY_EVAL_MAX_LEN, RT_BINARY_EVAL_PER_LENGTH and a seed other
 * than the training set's. */
int rt_binary_add_eval(RtDataset *ds, int max_len, size_t per_length,
                       uint64_t seed, char *err, size_t errsz);

#endif
