/* Compiled retrieval and alignment: the inner loops of first-sight screening, in C.
 *
 * Vocabulary.similar is translit.KeyedVocabulary.similar (one query token against the list
 * tokens of some key groups: three Levenshtein similarities each, combined), and
 * Vocabulary.related its `related` (the key groups a token may match, found in the
 * vocabulary's own string tables, then scored as similar scores them),
 * Postings.reach is index.NameIndex._reached (the names those tokens reach, each with its
 * best credited share), and Aligner.rate is scoring.QueryName.rate (a query name's token
 * alignment with a candidate name, and its score). All give the same values, to the last
 * bit, as the Python code they stand in for, which stays as the reference and the fallback
 * where this is not built
 * (tests/compliance/matching/test_speedups.py holds them equal). Build: scripts/build_speedups.py,
 * run by `make run` and `make test`.
 *
 * Retrieval's list strings are ASCII (latinized tokens, keys and skeletons are [a-z0-9]); its
 * constructors refuse anything else. A query whose strings are not ASCII or are longer than
 * 64 characters gets NotImplemented from similar(): the caller then uses the Python path.
 *
 * Levenshtein distance is Hyyro's bit-parallel form of Myers' algorithm (one 64-bit word:
 * the query string is the pattern), and the normalized similarity is rapidfuzz's:
 * 1 - distance / max(len), 1.0 for two empty strings. The GIL is held throughout: the
 * retrieval objects are shared by a service's threads, and Postings' scratch arrays are per
 * object.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#define MAX_PATTERN 64

/* -- Levenshtein ------------------------------------------------------------------------ */

typedef struct {
    uint64_t peq[128];  /* per ASCII character: the positions where the pattern holds it */
    int len;
    const char *text;
} Pattern;

static void pattern_init(Pattern *p, const char *text, int len) {
    memset(p->peq, 0, sizeof(p->peq));
    for (int i = 0; i < len; i++)
        p->peq[(unsigned char)text[i]] |= (uint64_t)1 << i;
    p->len = len;
    p->text = text;
}

static int levenshtein(const Pattern *p, const char *t, int n) {
    int m = p->len;
    if (m == 0)
        return n;
    uint64_t vp = ~(uint64_t)0, vn = 0, last = (uint64_t)1 << (m - 1);
    int dist = m;
    for (int j = 0; j < n; j++) {
        uint64_t x = p->peq[(unsigned char)t[j]];
        uint64_t d0 = (((x & vp) + vp) ^ vp) | x | vn;
        uint64_t hp = vn | ~(d0 | vp);
        uint64_t hn = d0 & vp;
        dist += (hp & last) != 0;
        dist -= (hn & last) != 0;
        hp = (hp << 1) | 1;
        hn = hn << 1;
        vp = hn | ~(d0 | hp);
        vn = hp & d0;
    }
    return dist;
}

static double similarity(const Pattern *p, const char *t, int n) {
    int longest = p->len > n ? p->len : n;
    if (longest == 0)
        return 1.0;
    return 1.0 - (double)levenshtein(p, t, n) / (double)longest;
}

/* An ASCII str's characters and length, or NULL (not a str, not ASCII, or longer than `limit`). */
static const char *ascii_of(PyObject *s, Py_ssize_t limit, int *len) {
    if (!PyUnicode_Check(s) || !PyUnicode_IS_ASCII(s))
        return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    if (n > limit)
        return NULL;
    *len = (int)n;
    return (const char *)PyUnicode_DATA(s);
}

/* Whether an object's constructor ran to its end (`marker`, the field it sets last, is set);
 * 0 with a ValueError naming `what` if not. */
static int initialized(const void *marker, const char *what) {
    if (marker != NULL)
        return 1;
    PyErr_Format(PyExc_ValueError, "the %s not initialized", what);
    return 0;
}

/* -- String tables ---------------------------------------------------------------------- */

/* An open-addressing hash table (linear probing, at most 3/4 full) from ASCII strings to runs
 * of int32 values, in three flat arrays: a lookup reads one slot and the key's bytes. The key
 * groups were first dicts of bytes objects, whose lookups read four scattered objects: a third
 * of Vocabulary.similar's time in perf, on first-sight probes of the default lists. */
typedef struct {
    uint32_t hash;       /* 0: an empty slot */
    uint32_t text;       /* where the key starts in `text` */
    uint32_t first;      /* where its values start in `values` */
    uint32_t count_len;  /* its number of values << 8 | the key's length */
} Slot;

#define SLOT_LEN(slot) ((int)((slot)->count_len & 0xff))
#define SLOT_COUNT(slot) ((Py_ssize_t)((slot)->count_len >> 8))
#define MAX_SLOT_COUNT (((Py_ssize_t)1 << 24) - 1)

typedef struct {
    Slot *slots;  /* NULL: no table */
    uint32_t mask;
    char *text;
    size_t text_used;
    int32_t *values;
} Table;

static uint32_t hash_of(const char *text, int len) {  /* FNV-1a, then murmur3's finalizer */
    uint32_t h = 2166136261u;
    for (int i = 0; i < len; i++) {
        h ^= (unsigned char)text[i];
        h *= 16777619u;
    }
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h ? h : 1;
}

static void table_free(Table *table) {
    PyMem_Free(table->slots);
    PyMem_Free(table->text);
    PyMem_Free(table->values);
    memset(table, 0, sizeof(Table));
}

/* Room for `entries` keys of `text_bytes` in all and `values` values. */
static int table_alloc(Table *table, size_t entries, size_t text_bytes, size_t values) {
    if (entries > ((size_t)1 << 28) || text_bytes >= UINT32_MAX || values >= UINT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "a table too large");
        return -1;
    }
    size_t capacity = 8;
    while (capacity < entries + entries / 3 + 1)
        capacity <<= 1;
    table->slots = PyMem_Calloc(capacity, sizeof(Slot));
    table->text = PyMem_Malloc(text_bytes + 1);
    table->values = PyMem_Malloc((values ? values : 1) * sizeof(int32_t));
    table->mask = (uint32_t)(capacity - 1);
    table->text_used = 0;
    if (table->slots == NULL || table->text == NULL || table->values == NULL) {
        table_free(table);
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

/* The slot holding `key`, or the empty slot where it would go. */
static Slot *table_find(const Table *table, const char *key, int len, uint32_t hash) {
    for (uint32_t i = hash & table->mask;; i = (i + 1) & table->mask) {
        Slot *slot = &table->slots[i];
        if (slot->hash == 0 || (slot->hash == hash && SLOT_LEN(slot) == len &&
                                memcmp(table->text + slot->text, key, (size_t)len) == 0))
            return slot;
    }
}

/* `key` put into the empty slot found for it, without values yet. */
static void table_put(Table *table, Slot *slot, const char *key, int len, uint32_t hash) {
    memcpy(table->text + table->text_used, key, (size_t)len);
    slot->hash = hash;
    slot->text = (uint32_t)table->text_used;
    slot->first = 0;
    slot->count_len = (uint32_t)len;
    table->text_used += (size_t)len;
}

/* The slot of `key`, or NULL. */
static const Slot *table_get(const Table *table, const char *key, int len) {
    if (table->slots == NULL)
        return NULL;
    const Slot *slot = table_find(table, key, len, hash_of(key, len));
    return slot->hash ? slot : NULL;
}

/* The slot of a str key, or NULL (not there, not a str, not ASCII: no key of the table). */
static const Slot *table_get_str(const Table *table, PyObject *key) {
    int len;
    const char *text = ascii_of(key, 255, &len);
    return text == NULL ? NULL : table_get(table, text, len);
}

/* A table of a dict: ASCII str (at most 255 characters) -> bytes of int32 values, each
 * value v stored as `translated[v]` (v in [0, size), else an IndexError). */
static int table_of_dict(Table *table, PyObject *dict, const int32_t *translated, Py_ssize_t size) {
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    size_t text_bytes = 0, values = 0;
    while (PyDict_Next(dict, &pos, &key, &value)) {
        int len;
        if (ascii_of(key, 255, &len) == NULL) {
            PyErr_SetString(PyExc_ValueError, "group keys must be ASCII str of at most 255 characters");
            return -1;
        }
        if (!PyBytes_Check(value) || PyBytes_GET_SIZE(value) % (Py_ssize_t)sizeof(int32_t) != 0 ||
            PyBytes_GET_SIZE(value) / (Py_ssize_t)sizeof(int32_t) > MAX_SLOT_COUNT) {
            PyErr_SetString(PyExc_TypeError, "a group must be bytes of int32 positions");
            return -1;
        }
        text_bytes += (size_t)len;
        values += (size_t)PyBytes_GET_SIZE(value) / sizeof(int32_t);
    }
    if (table_alloc(table, (size_t)PyDict_GET_SIZE(dict), text_bytes, values) < 0)
        return -1;
    size_t at = 0;
    pos = 0;
    while (PyDict_Next(dict, &pos, &key, &value)) {
        int len;
        const char *text = ascii_of(key, 255, &len);
        uint32_t hash = hash_of(text, len);
        Slot *slot = table_find(table, text, len, hash);  /* empty: a dict's keys are distinct */
        table_put(table, slot, text, len, hash);
        Py_ssize_t count = PyBytes_GET_SIZE(value) / (Py_ssize_t)sizeof(int32_t);
        const int32_t *given = (const int32_t *)PyBytes_AS_STRING(value);
        for (Py_ssize_t k = 0; k < count; k++) {
            if (given[k] < 0 || given[k] >= size) {
                table_free(table);
                PyErr_SetString(PyExc_IndexError, "token position out of range");
                return -1;
            }
            table->values[at + (size_t)k] = translated[given[k]];
        }
        slot->first = (uint32_t)at;
        slot->count_len |= (uint32_t)count << 8;
        at += (size_t)count;
    }
    return 0;
}

/* `text` without its letter at `i`, into `out`; 0 where that is the deletion at i - 1 again
 * (a run of one letter): so the deletions made are distinct, in order of first occurrence. */
static int deletion(const char *text, int len, int i, char *out) {
    if (i > 0 && text[i] == text[i - 1])
        return 0;
    memcpy(out, text, (size_t)i);
    memcpy(out + i, text + i + 1, (size_t)(len - i - 1));
    return 1;
}

/* The table of the keys of `keys` (`order`: the dict it was made of, for their order) one
 * letter longer than a string: each key of at least `shortest` letters under each of its
 * one-letter deletions, as its slot number in `keys`, in `order`'s order. */
static int table_of_deletions(Table *table, const Table *keys, PyObject *order, int shortest) {
    size_t entries = 0, text_bytes = 0;
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    while (PyDict_Next(order, &pos, &key, &value)) {
        Py_ssize_t len = PyUnicode_GET_LENGTH(key);  /* ASCII, at most 255: table_of_dict took it */
        if (len >= shortest) {
            entries += (size_t)len;
            text_bytes += (size_t)(len * (len - 1));
        }
    }
    if (table_alloc(table, entries, text_bytes, entries) < 0)
        return -1;
    char shorter[255];
    for (int pass = 0; pass < 2; pass++) {  /* count each string's keys; then place them */
        pos = 0;
        while (PyDict_Next(order, &pos, &key, &value)) {
            int len;
            const char *text = ascii_of(key, 255, &len);
            if (len < shortest)
                continue;
            const Slot *own = table_get(keys, text, len);
            for (int i = 0; i < len; i++) {
                if (!deletion(text, len, i, shorter))
                    continue;
                uint32_t hash = hash_of(shorter, len - 1);
                Slot *slot = table_find(table, shorter, len - 1, hash);
                if (slot->hash == 0)
                    table_put(table, slot, shorter, len - 1, hash);
                if (pass == 1)
                    table->values[slot->first + SLOT_COUNT(slot)] = (int32_t)(own - keys->slots);
                slot->count_len += 1u << 8;
            }
        }
        if (pass == 0) {  /* each string's run of values, then counted again as they are placed */
            uint32_t at = 0;
            for (uint32_t i = 0; i <= table->mask; i++) {
                Slot *slot = &table->slots[i];
                if (slot->hash != 0) {
                    slot->first = at;
                    at += (uint32_t)SLOT_COUNT(slot);
                    slot->count_len &= 0xff;
                }
            }
        }
    }
    return 0;
}

/* -- Vocabulary ------------------------------------------------------------------------- */

/* Each token's strings are kept together in one arena, in the order given (the caller lays
 * key groups out one after the other): a group probed is read from consecutive memory. With
 * the strings left in their Python objects, scattered over the heap, cache misses made up
 * most of the time (~800 ns a list token, against ~130 ns with the strings in cache).
 * A record: the four lengths, the flags, the token's position (int32), then the four strings.
 * The key groups hold where the records start, not the tokens' positions: one dependent
 * read less per token scored. */
enum { TOKEN, SKELETON, KEY, SECOND, FIELDS };
#define FLAGS FIELDS                /* the flags' byte */
#define HAS_VOWEL 1
#define SECOND_DIFFERS 2            /* the second reading's key is not the key */
#define POSITION (FIELDS + 1)       /* where the token's position is */
#define HEADER (POSITION + 4)

typedef struct {
    PyObject_HEAD
    Py_ssize_t size;
    PyObject *tokens;       /* a tuple of the token strs (the keys of the dicts similar() returns) */
    unsigned char *arena;   /* the records */
    /* key -> where its tokens' records start, by key, by second reading, by edit; then
     * string -> the keys one letter longer (as slot numbers in the first) */
    Table tables[4];
    double vowelless_scale;
    int deletion_key, edit_key;  /* as KeyedVocabulary's */
} Vocabulary;

enum { BY_KEY, BY_SECOND, BY_EDIT, LONGER };

static void vocabulary_free_arrays(Vocabulary *self) {
    PyMem_Free(self->arena);
    self->arena = NULL;
    for (int t = 0; t < 4; t++)
        table_free(&self->tables[t]);
}

static void vocabulary_dealloc(Vocabulary *self) {
    vocabulary_free_arrays(self);
    Py_XDECREF(self->tokens);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* Vocabulary(tokens, skeletons, keys, seconds, vowels, by_key, by_second, by_edit, vowelless_scale,
 *            deletion_key, edit_key)
 * Lists of equal length (vowels: bools; strings ASCII, at most 255 characters); the dicts map
 * a key to bytes of int32 positions in those lists (copied: they are not kept). */
static int vocabulary_init(Vocabulary *self, PyObject *args, PyObject *kwargs) {
    PyObject *lists[FIELDS], *vowels, *groups[3];
    double scale;
    int deletion_key, edit_key;
    if (!PyArg_ParseTuple(args, "O!O!O!O!O!O!O!O!dii", &PyList_Type, &lists[TOKEN], &PyList_Type, &lists[SKELETON],
                          &PyList_Type, &lists[KEY], &PyList_Type, &lists[SECOND], &PyList_Type, &vowels,
                          &PyDict_Type, &groups[0], &PyDict_Type, &groups[1], &PyDict_Type, &groups[2], &scale,
                          &deletion_key, &edit_key))
        return -1;
    Py_ssize_t n = PyList_GET_SIZE(lists[TOKEN]);
    for (int f = 0; f <= FIELDS; f++)
        if (PyList_GET_SIZE(f < FIELDS ? lists[f] : vowels) != n) {
            PyErr_SetString(PyExc_ValueError, "the token lists differ in length");
            return -1;
        }
    vocabulary_free_arrays(self);  /* its key table made last: a vocabulary without one is not ready */
    Py_ssize_t bytes = 0;
    for (Py_ssize_t i = 0; i < n; i++)
        for (int f = 0; f < FIELDS; f++) {
            int len;
            if (ascii_of(PyList_GET_ITEM(lists[f], i), 255, &len) == NULL) {
                PyErr_Format(PyExc_ValueError, "list strings must be ASCII str of at most 255 characters (item %zd)", i);
                return -1;
            }
            bytes += len;
        }
    if (bytes + n * HEADER >= INT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "a vocabulary too large");
        return -1;
    }
    Table made[4] = {{0}};
    int32_t *offset = PyMem_Malloc((size_t)(n ? n : 1) * sizeof(int32_t));  /* per token: where its record starts */
    self->arena = PyMem_Malloc((size_t)(bytes + n * HEADER + 1));
    if (self->arena == NULL || offset == NULL) {
        PyErr_NoMemory();
        goto failed;
    }
    Py_ssize_t at = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        int truth = PyObject_IsTrue(PyList_GET_ITEM(vowels, i));
        if (truth < 0)
            goto failed;
        unsigned char *record = self->arena + at;
        offset[i] = (int32_t)at;
        int32_t position = (int32_t)i;
        memcpy(record + POSITION, &position, sizeof(position));
        at += HEADER;
        for (int f = 0; f < FIELDS; f++) {
            int len;
            const char *text = ascii_of(PyList_GET_ITEM(lists[f], i), 255, &len);
            record[f] = (unsigned char)len;
            memcpy(self->arena + at, text, (size_t)len);
            at += len;
        }
        const char *key = (const char *)record + HEADER + record[TOKEN] + record[SKELETON];
        int differs = record[SECOND] != record[KEY] || memcmp(key + record[KEY], key, record[KEY]) != 0;
        record[FLAGS] = (unsigned char)((truth ? HAS_VOWEL : 0) | (differs ? SECOND_DIFFERS : 0));
    }
    PyObject *tokens = PyList_AsTuple(lists[TOKEN]);
    if (tokens == NULL)
        goto failed;
    Py_XSETREF(self->tokens, tokens);
    self->size = n;
    self->vowelless_scale = scale;
    self->deletion_key = deletion_key;
    self->edit_key = edit_key;
    for (int g = 0; g < 3; g++)
        if (table_of_dict(&made[g], groups[g], offset, n) < 0)
            goto failed;
    if (deletion_key > 0 && table_of_deletions(&made[LONGER], &made[BY_KEY], groups[0], deletion_key) < 0)
        goto failed;
    memcpy(self->tables, made, sizeof(made));
    PyMem_Free(offset);
    return 0;
failed:
    for (int t = 0; t < 4; t++)
        table_free(&made[t]);
    PyMem_Free(offset);
    return -1;
}

/* The most a normalized similarity of strings of lengths `a` and `b` can be: the distance is
 * at least their difference. Computed as similarity() computes its value, so never below it. */
static double length_bound(int a, int b) {
    int longest = a > b ? a : b;
    if (longest == 0)
        return 1.0;
    return 1.0 - (double)(a > b ? a - b : b - a) / (double)longest;
}

/* Score the tokens at the positions `slot` holds in `table` against the query; those at or above
 * `floor` go into `found`. A token is dropped as soon as the parts computed so far, with the
 * length bounds of the rest, cannot reach `floor`. On bench/speed.py's first-sight probes
 * 16% go on lengths alone, 40% after the token's distance and 23% after the skeleton's:
 * 1.7 distances a token, not 3.8. related() over those probes, same process, interleaved:
 * 1.12x. Most of the time is reading the records, which is why they are prefetched (1.24x).
 * Float arithmetic is monotone, so a bound is never below the score it stands for. */
#define PREFETCH 4  /* records ahead */

static int score_group(Vocabulary *self, const Table *table, const Slot *slot, const Pattern *token,
                       const Pattern *skeleton, const Pattern *readings, int n_readings, int vowel_a, int long_key,
                       double floor, PyObject *found) {
    const int32_t *at = table->values + slot->first;
    Py_ssize_t count = SLOT_COUNT(slot);
    for (Py_ssize_t k = 0; k < count; k++) {
        if (k + PREFETCH < count)
            __builtin_prefetch(self->arena + at[k + PREFETCH]);
        const unsigned char *record = self->arena + at[k];
        const char *text = (const char *)record + HEADER;
        int token_len = record[TOKEN], skeleton_len = record[SKELETON], key_len = record[KEY],
            second_len = record[SECOND];
        const char *skeleton_text = text + token_len, *key_text = skeleton_text + skeleton_len,
                   *second_text = key_text + key_len;
        int second_differs = record[FLAGS] & SECOND_DIFFERS;
        /* a vowel-less side may be judged by its key alone: then the score is at least
         * vowelless_scale times the key */
        int liftable = long_key && key_len > 2 && (!vowel_a || !(record[FLAGS] & HAS_VOWEL));
        double key_bound = 0.0;
        for (int r = 0; r < n_readings; r++) {
            double b = length_bound(readings[r].len, key_len);
            if (b > key_bound)
                key_bound = b;
            if (second_differs) {
                b = length_bound(readings[r].len, second_len);
                if (b > key_bound)
                    key_bound = b;
            }
        }
        double token_part, skeleton_part;
        if (liftable && self->vowelless_scale * key_bound >= floor) {
            token_part = similarity(token, text, token_len);
            skeleton_part = similarity(skeleton, skeleton_text, skeleton_len);
        } else {
            double skeleton_bound = length_bound(skeleton->len, skeleton_len);
            if ((length_bound(token->len, token_len) + skeleton_bound + key_bound) / 3 < floor)
                continue;
            token_part = similarity(token, text, token_len);
            if ((token_part + skeleton_bound + key_bound) / 3 < floor)
                continue;
            skeleton_part = similarity(skeleton, skeleton_text, skeleton_len);
            if ((token_part + skeleton_part + key_bound) / 3 < floor)
                continue;
        }
        /* the key: the best pairing of the query's readings with the list token's */
        double key = 0.0;
        for (int r = 0; r < n_readings; r++) {
            double s = similarity(&readings[r], key_text, key_len);
            if (s > key)
                key = s;
            if (second_differs) {
                s = similarity(&readings[r], second_text, second_len);
                if (s > key)
                    key = s;
            }
        }
        double score = (token_part + skeleton_part + key) / 3;
        if (liftable && key > score) {
            double lifted = self->vowelless_scale * key;
            if (lifted > score)
                score = lifted;
        }
        if (score >= floor) {
            int32_t i;
            memcpy(&i, record + POSITION, sizeof(i));
            PyObject *value = PyFloat_FromDouble(score);
            if (value == NULL || PyDict_SetItem(found, PyTuple_GET_ITEM(self->tokens, i), value) < 0) {
                Py_XDECREF(value);
                return -1;
            }
            Py_DECREF(value);
        }
    }
    return 0;
}

/* The query's patterns, from (token, key, second, skeleton): 1, or 0 if a string is not ASCII
 * or is longer than MAX_PATTERN, or -1 with an error if the vocabulary is not ready. */
typedef struct {
    Pattern token, skeleton, readings[2];
    int n_readings, long_key;
} Query;

static int query_of(Vocabulary *self, PyObject *const strings[4], Query *query) {
    if (!initialized(self->tables[BY_KEY].slots, "vocabulary was"))
        return -1;
    const char *text[4];
    int len[4];
    for (int s = 0; s < 4; s++) {
        text[s] = ascii_of(strings[s], MAX_PATTERN, &len[s]);
        if (text[s] == NULL)
            return 0;
    }
    pattern_init(&query->token, text[0], len[0]);
    pattern_init(&query->readings[0], text[1], len[1]);
    query->n_readings = 1;
    if (len[2] != len[1] || memcmp(text[2], text[1], (size_t)len[1]) != 0)
        pattern_init(&query->readings[query->n_readings++], text[2], len[2]);
    pattern_init(&query->skeleton, text[3], len[3]);
    query->long_key = len[1] > 2;
    return 1;
}

static int score_slot(Vocabulary *self, int t, const Slot *slot, const Query *q, int vowel_a, double floor,
                      PyObject *found) {
    return slot == NULL ? 0 : score_group(self, &self->tables[t], slot, &q->token, &q->skeleton, q->readings,
                                          q->n_readings, vowel_a, q->long_key, floor, found);
}

static const char SIMILAR_DOC[] =
    "similar(token, key, second, skeleton, vowel, floor, keys, seconds, edits) -> dict\n\n"
    "KeyedVocabulary.similar for a query token with that profile: token_similarity of each list\n"
    "token in the groups of `keys` (by key), `seconds` (by second reading) and `edits` (by edit),\n"
    "in that order, at or above `floor`. NotImplemented if a query string is not ASCII or is\n"
    "longer than 64 characters.";

static PyObject *vocabulary_similar(Vocabulary *self, PyObject *args) {
    PyObject *strings[4], *wanted[3];
    int vowel_a;
    double floor;
    if (!PyArg_ParseTuple(args, "UUUUpdOOO", &strings[0], &strings[1], &strings[2], &strings[3], &vowel_a, &floor,
                          &wanted[0], &wanted[1], &wanted[2]))
        return NULL;
    Query query;
    int usable = query_of(self, strings, &query);
    if (usable <= 0)
        return usable < 0 ? NULL : Py_NewRef(Py_NotImplemented);
    PyObject *found = PyDict_New();
    if (found == NULL)
        return NULL;
    for (int g = 0; g < 3; g++) {
        PyObject *iterator = PyObject_GetIter(wanted[g]);
        if (iterator == NULL)
            goto failed;
        PyObject *item;
        while ((item = PyIter_Next(iterator)) != NULL) {
            int scored = score_slot(self, g, table_get_str(&self->tables[g], item), &query, vowel_a, floor, found);
            Py_DECREF(item);
            if (scored < 0) {
                Py_DECREF(iterator);
                goto failed;
            }
        }
        Py_DECREF(iterator);
        if (PyErr_Occurred())
            goto failed;
    }
    return found;
failed:
    Py_DECREF(found);
    return NULL;
}

/* Key groups (slot numbers in the key table), each kept once, in order of first mention. */
typedef struct {
    uint32_t *items;
    Py_ssize_t count, room;
} Groups;

static int groups_add(Groups *groups, uint32_t item) {
    for (Py_ssize_t i = 0; i < groups->count; i++)  /* a scan: 23 groups a call on average (bench/speed.py) */
        if (groups->items[i] == item)
            return 0;
    if (groups->count == groups->room) {
        Py_ssize_t room = groups->room ? 2 * groups->room : 64;
        uint32_t *items = PyMem_Realloc(groups->items, (size_t)room * sizeof(uint32_t));
        if (items == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        groups->items = items;
        groups->room = room;
    }
    groups->items[groups->count++] = item;
    return 0;
}

static int add_key(Vocabulary *self, Groups *groups, const char *key, int len) {
    const Slot *slot = table_get(&self->tables[BY_KEY], key, len);
    return slot == NULL ? 0 : groups_add(groups, (uint32_t)(slot - self->tables[BY_KEY].slots));
}

static int add_longer(Vocabulary *self, Groups *groups, const char *key, int len) {
    const Table *longer = &self->tables[LONGER];
    const Slot *slot = table_get(longer, key, len);
    for (Py_ssize_t i = 0; slot != NULL && i < SLOT_COUNT(slot); i++)
        if (groups_add(groups, (uint32_t)longer->values[slot->first + i]) < 0)
            return -1;
    return 0;
}

static const char RELATED_DOC[] =
    "related(token, key, second, skeleton, vowel, floor) -> dict\n\n"
    "KeyedVocabulary.related for a query token with that profile, its key groups found and\n"
    "scored here. NotImplemented if a query string is not ASCII or is longer than 64 characters.";

static PyObject *vocabulary_related(Vocabulary *self, PyObject *args) {
    PyObject *strings[4];
    int vowel_a;
    double floor;
    if (!PyArg_ParseTuple(args, "UUUUpd", &strings[0], &strings[1], &strings[2], &strings[3], &vowel_a, &floor))
        return NULL;
    Query query;
    int usable = query_of(self, strings, &query);
    if (usable <= 0)
        return usable < 0 ? NULL : Py_NewRef(Py_NotImplemented);
    const Pattern *token = &query.token, *key = &query.readings[0];
    char shorter[MAX_PATTERN];
    Groups groups = {NULL, 0, 0};
    PyObject *found = PyDict_New();
    if (found == NULL)
        return NULL;
    /* the list keys: the query's readings; one letter longer, shorter, or substituted */
    for (int r = 0; r < query.n_readings; r++)
        if (add_key(self, &groups, query.readings[r].text, query.readings[r].len) < 0)
            goto failed;
    if (self->deletion_key > 0 && key->len >= self->deletion_key - 1) {
        if (add_longer(self, &groups, key->text, key->len) < 0)
            goto failed;
        for (int i = 0; i < key->len; i++)
            if (deletion(key->text, key->len, i, shorter) && add_key(self, &groups, shorter, key->len - 1) < 0)
                goto failed;
        if (key->len >= self->deletion_key)
            for (int i = 0; i < key->len; i++)
                if (deletion(key->text, key->len, i, shorter) && add_longer(self, &groups, shorter, key->len - 1) < 0)
                    goto failed;
    }
    for (Py_ssize_t g = 0; g < groups.count; g++) {  /* each group's first records on their way */
        const Slot *slot = &self->tables[BY_KEY].slots[groups.items[g]];
        if (SLOT_COUNT(slot) > 0)
            __builtin_prefetch(self->arena + self->tables[BY_KEY].values[slot->first]);
    }
    for (Py_ssize_t g = 0; g < groups.count; g++)
        if (score_slot(self, BY_KEY, &self->tables[BY_KEY].slots[groups.items[g]], &query, vowel_a, floor, found) < 0)
            goto failed;
    /* list tokens whose second reading's key is one of the query's readings */
    for (int r = 0; r < query.n_readings; r++)
        if (score_slot(self, BY_SECOND, table_get(&self->tables[BY_SECOND], query.readings[r].text,
                                                  query.readings[r].len), &query, vowel_a, floor, found) < 0)
            goto failed;
    /* a short key: the list tokens one edit from the token itself */
    if (key->len == self->edit_key) {
        if (score_slot(self, BY_EDIT, table_get(&self->tables[BY_EDIT], token->text, token->len), &query, vowel_a,
                       floor, found) < 0)
            goto failed;
        for (int i = 0; i < token->len; i++)
            if (deletion(token->text, token->len, i, shorter) &&
                score_slot(self, BY_EDIT, table_get(&self->tables[BY_EDIT], shorter, token->len - 1), &query,
                           vowel_a, floor, found) < 0)
                goto failed;
    }
    PyMem_Free(groups.items);
    return found;
failed:
    PyMem_Free(groups.items);
    Py_DECREF(found);
    return NULL;
}

static PyObject *vocabulary_longer(Vocabulary *self, PyObject *key) {
    if (!initialized(self->tables[BY_KEY].slots, "vocabulary was"))
        return NULL;
    const Table *keys = &self->tables[BY_KEY], *longer = &self->tables[LONGER];
    const Slot *slot = table_get_str(longer, key);
    PyObject *out = PyList_New(slot == NULL ? 0 : SLOT_COUNT(slot));
    for (Py_ssize_t i = 0; out != NULL && slot != NULL && i < SLOT_COUNT(slot); i++) {
        const Slot *own = &keys->slots[longer->values[slot->first + i]];
        PyObject *text = PyUnicode_FromStringAndSize(keys->text + own->text, SLOT_LEN(own));
        if (text == NULL)
            Py_CLEAR(out);
        else
            PyList_SET_ITEM(out, i, text);
    }
    return out;
}

static PyMethodDef vocabulary_methods[] = {
    {"similar", (PyCFunction)vocabulary_similar, METH_VARARGS, SIMILAR_DOC},
    {"related", (PyCFunction)vocabulary_related, METH_VARARGS, RELATED_DOC},
    {"longer", (PyCFunction)vocabulary_longer, METH_O,
     "longer(key) -> list: the list keys one letter longer than `key` (deletion_key letters or more)."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject VocabularyType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "compliance.matching._speedups.Vocabulary",
    .tp_doc = "List tokens with their profiles and key groups (translit.KeyedVocabulary's data).",
    .tp_basicsize = sizeof(Vocabulary),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)vocabulary_init,
    .tp_dealloc = (destructor)vocabulary_dealloc,
    .tp_methods = vocabulary_methods,
};

/* -- Postings --------------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    Py_buffer ids;     /* int32 name id per posting */
    Py_buffer shares;  /* float64 share of the name per posting */
    Py_ssize_t postings;
    Py_ssize_t names;
    double token_floor, token_full;
    double *best;      /* per name id: the best gain of this call, -1 when untouched */
    int32_t *touched;  /* the name ids touched by this call */
    double *query_sum, *name_sum;  /* per name id: gather()'s sums, 0 when untouched */
    unsigned char *seen;           /* per name id: touched by this gather() */
    int32_t *sorting;              /* sort_touched's scratch */
    int id_bytes;                  /* the bytes a name id needs: sort_touched's passes */
} Postings;

static void postings_release(Postings *self) {
    if (self->ids.obj != NULL)
        PyBuffer_Release(&self->ids);
    if (self->shares.obj != NULL)
        PyBuffer_Release(&self->shares);
    PyMem_Free(self->best);
    PyMem_Free(self->touched);
    PyMem_Free(self->query_sum);
    PyMem_Free(self->name_sum);
    PyMem_Free(self->seen);
    PyMem_Free(self->sorting);
    self->sorting = NULL;
    self->best = NULL;
    self->touched = NULL;
    self->query_sum = self->name_sum = NULL;
    self->seen = NULL;
}

static void postings_dealloc(Postings *self) {
    postings_release(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* The int32 or float64 buffer of `object`, C-contiguous; -1 with an error if it is not one. */
static int typed_buffer(PyObject *object, Py_buffer *view, const char *format, Py_ssize_t itemsize) {
    if (PyObject_GetBuffer(object, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0)
        return -1;
    if (view->itemsize != itemsize || strcmp(view->format, format) != 0) {
        PyBuffer_Release(view);
        PyErr_Format(PyExc_ValueError, "expected a buffer of format '%s'", format);
        return -1;
    }
    return 0;
}

/* Postings(ids, shares, names, token_floor, token_full): ids an int32 buffer of name ids below
 * `names`, shares a float64 buffer of the same length; credit() is defined by the two floats. */
static int postings_init(Postings *self, PyObject *args, PyObject *kwargs) {
    PyObject *ids, *shares;
    Py_ssize_t names;
    double floor, full;
    if (!PyArg_ParseTuple(args, "OOndd", &ids, &shares, &names, &floor, &full))
        return -1;
    postings_release(self);
    if (typed_buffer(ids, &self->ids, "i", 4) < 0 || typed_buffer(shares, &self->shares, "d", 8) < 0)
        return -1;
    if (self->ids.len / 4 != self->shares.len / 8) {
        PyErr_SetString(PyExc_ValueError, "ids and shares differ in length");
        return -1;
    }
    self->postings = self->ids.len / 4;
    const int32_t *id = self->ids.buf;
    for (Py_ssize_t p = 0; p < self->postings; p++)
        if (id[p] < 0 || id[p] >= names) {
            PyErr_SetString(PyExc_ValueError, "a name id is out of range");
            return -1;
        }
    self->names = names;
    self->token_floor = floor;
    self->token_full = full;
    size_t slots = (size_t)(names ? names : 1);
    self->query_sum = PyMem_Calloc(slots, sizeof(double));
    self->name_sum = PyMem_Calloc(slots, sizeof(double));
    self->seen = PyMem_Calloc(slots, 1);
    self->touched = PyMem_Malloc(slots * sizeof(int32_t));
    self->sorting = PyMem_Malloc(slots * sizeof(int32_t));
    for (self->id_bytes = 1; self->id_bytes < 4 && (names - 1) >> (8 * self->id_bytes) > 0; self->id_bytes++)
        ;
    self->best = PyMem_Malloc(slots * sizeof(double));  /* last: a Postings without it is not ready */
    if (self->best == NULL || self->touched == NULL || self->query_sum == NULL || self->name_sum == NULL
        || self->seen == NULL || self->sorting == NULL) {
        postings_release(self);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < names; i++)
        self->best[i] = -1.0;
    return 0;
}

/* The first `n` touched ids (distinct, non-negative, below `names`) in ascending order: an
 * insertion sort for a few, else a radix sort on their bytes, least significant first (two
 * passes below 65,536 names). qsort was 4-5% of first-sight screening in perf: gather()
 * sorts 289 ids a call at the median, 858 on average. Replaying bench/speed.py's first-sight
 * gather() and reach() calls, same process, interleaved: 215 -> 125 ms for 3,000 queries. */
static void sort_touched(Postings *self, Py_ssize_t n) {
    int32_t *ids = self->touched;
    if (n <= 32) {
        for (Py_ssize_t i = 1; i < n; i++) {
            int32_t id = ids[i];
            Py_ssize_t j = i;
            for (; j > 0 && ids[j - 1] > id; j--)
                ids[j] = ids[j - 1];
            ids[j] = id;
        }
        return;
    }
    int32_t *from = ids, *to = self->sorting;
    for (int pass = 0; pass < self->id_bytes; pass++) {
        int shift = 8 * pass;
        Py_ssize_t at[257] = {0};
        for (Py_ssize_t i = 0; i < n; i++)
            at[((uint32_t)from[i] >> shift & 0xff) + 1]++;
        for (int b = 0; b < 256; b++)
            at[b + 1] += at[b];
        for (Py_ssize_t i = 0; i < n; i++)
            to[at[(uint32_t)from[i] >> shift & 0xff]++] = from[i];
        int32_t *swap = from;
        from = to;
        to = swap;
    }
    if (from != ids)
        memcpy(ids, from, (size_t)n * sizeof(int32_t));
}

typedef struct {
    Py_ssize_t start, stop;
    double gain;
} Span;

static int span_of(PyObject *value, Py_ssize_t limit, Span *span) {
    if (!PyTuple_Check(value) || PyTuple_GET_SIZE(value) != 2) {
        PyErr_SetString(PyExc_TypeError, "a span must be a (start, stop) tuple");
        return -1;
    }
    span->start = PyLong_AsSsize_t(PyTuple_GET_ITEM(value, 0));
    span->stop = PyLong_AsSsize_t(PyTuple_GET_ITEM(value, 1));
    if (PyErr_Occurred())
        return -1;
    if (span->start < 0 || span->stop < span->start || span->stop > limit) {
        PyErr_SetString(PyExc_IndexError, "a span is out of range");
        return -1;
    }
    return 0;
}

static const char REACH_DOC[] =
    "reach(similar, spans) -> (ids bytes, gains bytes) | None\n\n"
    "NameIndex._reached: for each list token of `similar` (token -> similarity) with a span in\n"
    "`spans` and a credit above 0, its postings' name ids with share times credit; a name\n"
    "reached through two tokens keeps the better, ids ascending. One token's postings are\n"
    "given as they are. int32 and float64 in native byte order; None if nothing is reached.";

static PyObject *postings_reach(Postings *self, PyObject *args) {
    PyObject *similar, *spans;
    if (!PyArg_ParseTuple(args, "O!O!", &PyDict_Type, &similar, &PyDict_Type, &spans))
        return NULL;
    if (!initialized(self->best, "postings were"))
        return NULL;
    Py_ssize_t count = 0, capacity = 8, position = 0;
    Span *found = PyMem_Malloc(capacity * sizeof(Span));
    if (found == NULL)
        return PyErr_NoMemory();
    PyObject *token, *value;
    while (PyDict_Next(similar, &position, &token, &value)) {
        double s = PyFloat_AsDouble(value);
        if (s == -1.0 && PyErr_Occurred())
            goto failed;
        if (s < self->token_floor)
            continue;  /* credit() is 0 */
        double gain = s / self->token_full;
        if (!(gain < 1.0))
            gain = 1.0;
        if (!(gain > 0.0))
            continue;
        PyObject *where = PyDict_GetItemWithError(spans, token);
        if (where == NULL) {
            if (PyErr_Occurred())
                goto failed;
            continue;
        }
        if (count == capacity) {
            capacity *= 2;
            Span *grown = PyMem_Realloc(found, capacity * sizeof(Span));
            if (grown == NULL) {
                PyErr_NoMemory();
                goto failed;
            }
            found = grown;
        }
        if (span_of(where, self->postings, &found[count]) < 0)
            goto failed;
        found[count++].gain = gain;
    }
    if (count == 0) {
        PyMem_Free(found);
        Py_RETURN_NONE;
    }
    const int32_t *ids = self->ids.buf;
    const double *shares = self->shares.buf;
    PyObject *out_ids, *out_gains;
    if (count == 1) {
        Py_ssize_t n = found[0].stop - found[0].start;
        out_ids = PyBytes_FromStringAndSize((const char *)(ids + found[0].start), n * (Py_ssize_t)sizeof(int32_t));
        out_gains = PyBytes_FromStringAndSize(NULL, n * (Py_ssize_t)sizeof(double));
        if (out_ids == NULL || out_gains == NULL)
            goto failed_out;
        double *gains = (double *)PyBytes_AS_STRING(out_gains);
        for (Py_ssize_t p = 0; p < n; p++)
            gains[p] = shares[found[0].start + p] * found[0].gain;
    } else {
        Py_ssize_t reached = 0;
        for (Py_ssize_t f = 0; f < count; f++)
            for (Py_ssize_t p = found[f].start; p < found[f].stop; p++) {
                int32_t id = ids[p];
                double gained = shares[p] * found[f].gain;
                if (self->best[id] < 0.0) {
                    self->touched[reached++] = id;
                    self->best[id] = gained;
                } else if (gained > self->best[id]) {
                    self->best[id] = gained;
                }
            }
        sort_touched(self, reached);
        out_ids = PyBytes_FromStringAndSize((const char *)self->touched, reached * (Py_ssize_t)sizeof(int32_t));
        out_gains = PyBytes_FromStringAndSize(NULL, reached * (Py_ssize_t)sizeof(double));
        if (out_gains != NULL) {
            double *gains = (double *)PyBytes_AS_STRING(out_gains);
            for (Py_ssize_t k = 0; k < reached; k++)
                gains[k] = self->best[self->touched[k]];
        }
        for (Py_ssize_t k = 0; k < reached; k++)
            self->best[self->touched[k]] = -1.0;
        if (out_ids == NULL || out_gains == NULL)
            goto failed_out;
    }
    PyMem_Free(found);
    return Py_BuildValue("(NN)", out_ids, out_gains);
failed_out:
    Py_XDECREF(out_ids);
    Py_XDECREF(out_gains);
failed:
    PyMem_Free(found);
    return NULL;
}

static const char GATHER_DOC[] =
    "gather(walked) -> (ids bytes, query shares bytes, name shares bytes)\n\n"
    "NameIndex.candidates' sums: `walked` is a list of (ids, gains, share), the arrays from\n"
    "reach(); each name id reached, ascending, with the sum of the shares and the sum of the\n"
    "gains of the entries that reach it, added in the order given (as numpy's bincount adds).";

typedef struct {
    Py_buffer ids, gains;
    double share;
} Walked;

static PyObject *postings_gather(Postings *self, PyObject *args) {
    PyObject *walked;
    if (!PyArg_ParseTuple(args, "O!", &PyList_Type, &walked))
        return NULL;
    if (!initialized(self->best, "postings were"))
        return NULL;
    /* First every entry's buffers, checked; then the sums, with no Python code run in between
     * (which could let another thread at the scratch arrays). */
    Py_ssize_t count = PyList_GET_SIZE(walked), held = 0;
    Walked *entries = PyMem_Calloc((size_t)(count ? count : 1), sizeof(Walked));
    if (entries == NULL)
        return PyErr_NoMemory();
    PyObject *result = NULL;
    for (; held < count; held++) {
        PyObject *entry = PyList_GET_ITEM(walked, held), *ids, *gains;
        if (!PyTuple_Check(entry)) {
            PyErr_SetString(PyExc_TypeError, "walked entries must be (ids, gains, share) tuples");
            goto done;
        }
        if (!PyArg_ParseTuple(entry, "OOd", &ids, &gains, &entries[held].share))
            goto done;
        if (typed_buffer(ids, &entries[held].ids, "i", 4) < 0)
            goto done;
        if (typed_buffer(gains, &entries[held].gains, "d", 8) < 0) {
            PyBuffer_Release(&entries[held].ids);
            goto done;
        }
        const int32_t *id = entries[held].ids.buf;
        Py_ssize_t n = entries[held].ids.len / 4;
        int bad = entries[held].gains.len / 8 != n;
        for (Py_ssize_t k = 0; k < n && !bad; k++)
            bad = id[k] < 0 || id[k] >= self->names;
        if (bad) {
            PyErr_SetString(PyExc_ValueError, "ids out of range, or ids and gains of different lengths");
            PyBuffer_Release(&entries[held].ids);
            PyBuffer_Release(&entries[held].gains);
            goto done;
        }
    }
    Py_ssize_t reached = 0;
    for (Py_ssize_t w = 0; w < count; w++) {
        const int32_t *id = entries[w].ids.buf;
        const double *gain = entries[w].gains.buf;
        double share = entries[w].share;
        for (Py_ssize_t k = 0, n = entries[w].ids.len / 4; k < n; k++) {
            int32_t i = id[k];
            if (!self->seen[i]) {
                self->seen[i] = 1;
                self->touched[reached++] = i;
            }
            self->query_sum[i] += share;
            self->name_sum[i] += gain[k];
        }
    }
    sort_touched(self, reached);
    PyObject *out_ids = PyBytes_FromStringAndSize((const char *)self->touched, reached * (Py_ssize_t)sizeof(int32_t));
    PyObject *out_query = PyBytes_FromStringAndSize(NULL, reached * (Py_ssize_t)sizeof(double));
    PyObject *out_name = PyBytes_FromStringAndSize(NULL, reached * (Py_ssize_t)sizeof(double));
    if (out_query != NULL && out_name != NULL) {
        double *query = (double *)PyBytes_AS_STRING(out_query), *name = (double *)PyBytes_AS_STRING(out_name);
        for (Py_ssize_t k = 0; k < reached; k++) {
            query[k] = self->query_sum[self->touched[k]];
            name[k] = self->name_sum[self->touched[k]];
        }
    }
    for (Py_ssize_t k = 0; k < reached; k++) {  /* the scratch arrays back to untouched */
        int32_t i = self->touched[k];
        self->seen[i] = 0;
        self->query_sum[i] = self->name_sum[i] = 0.0;
    }
    if (out_ids == NULL || out_query == NULL || out_name == NULL) {
        Py_XDECREF(out_ids);
        Py_XDECREF(out_query);
        Py_XDECREF(out_name);
    } else {
        result = Py_BuildValue("(NNN)", out_ids, out_query, out_name);
    }
done:
    for (Py_ssize_t w = 0; w < held; w++) {
        PyBuffer_Release(&entries[w].ids);
        PyBuffer_Release(&entries[w].gains);
    }
    PyMem_Free(entries);
    return result;
}

static PyMethodDef postings_methods[] = {
    {"reach", (PyCFunction)postings_reach, METH_VARARGS, REACH_DOC},
    {"gather", (PyCFunction)postings_gather, METH_VARARGS, GATHER_DOC},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject PostingsType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "compliance.matching._speedups.Postings",
    .tp_doc = "A name index's postings (index.NameIndex's ids and shares), walked in C.",
    .tp_basicsize = sizeof(Postings),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)postings_init,
    .tp_dealloc = (destructor)postings_dealloc,
    .tp_methods = postings_methods,
};

/* -- KeyRules --------------------------------------------------------------------------- */

/* translit._profile: a token's phonetic key, its second reading's key, its skeleton and whether
 * it has a vowel, by translit's tables (KEY_FOLDS, KEY_ALTS and the two contexts of
 * KEY_ALT_CONTEXT: after a letter, not before a vowel), applied as its regular expressions
 * apply them: left to right, at each position the longest key that matches. For ASCII
 * tokens without a newline; profile() gives NotImplemented for others. */

enum { ANYWHERE, AFTER_LETTER, NOT_BEFORE_VOWEL };
#define MAX_RULE 8

typedef struct {
    char from[MAX_RULE], to[MAX_RULE];
    int from_len, to_len, context;
} Rule;

typedef struct {
    PyObject_HEAD
    Rule *folds, *alts;  /* longest first */
    Py_ssize_t n_folds, n_alts;
    size_t fold_growth, alt_growth;  /* the most characters a rule writes per character it reads */
} KeyRules;

static void keyrules_clear(KeyRules *self) {
    PyMem_Free(self->folds);
    PyMem_Free(self->alts);
    self->folds = self->alts = NULL;
    self->n_folds = self->n_alts = 0;
}

static void keyrules_dealloc(KeyRules *self) {
    keyrules_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int is_key_vowel(char c) {  /* [aeiouy] */
    return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y';
}

static int compare_rules(const void *x, const void *y) {  /* longest first, else in the order given */
    const Rule *a = x, *b = y;
    if (a->from_len != b->from_len)
        return b->from_len - a->from_len;
    return (a > b) - (a < b);
}

/* The rules of `table` (str -> str, ASCII, at most MAX_RULE - 1 characters), with the contexts of
 * the keys in `after_letter` and `not_before_vowel`, sorted longest first. */
static Rule *rules_of(PyObject *table, PyObject *after_letter, PyObject *not_before_vowel, Py_ssize_t *count) {
    Py_ssize_t n = PyDict_GET_SIZE(table), position = 0, k = 0;
    Rule *rules = PyMem_Calloc((size_t)(n ? n : 1), sizeof(Rule));
    if (rules == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    PyObject *from, *to;
    while (PyDict_Next(table, &position, &from, &to)) {
        int from_len, to_len;
        const char *f = ascii_of(from, MAX_RULE - 1, &from_len), *t = ascii_of(to, MAX_RULE - 1, &to_len);
        int after = PySequence_Contains(after_letter, from), before = PySequence_Contains(not_before_vowel, from);
        if (after < 0 || before < 0) {
            PyMem_Free(rules);
            return NULL;
        }
        if (f == NULL || t == NULL || from_len == 0 || (after && before)) {
            PyMem_Free(rules);
            PyErr_SetString(PyExc_ValueError, "a rule must map a short ASCII key to a short ASCII text, in one context");
            return NULL;
        }
        memcpy(rules[k].from, f, (size_t)from_len);
        memcpy(rules[k].to, t, (size_t)to_len);
        rules[k].from_len = from_len;
        rules[k].to_len = to_len;
        rules[k++].context = after ? AFTER_LETTER : before ? NOT_BEFORE_VOWEL : ANYWHERE;
    }
    qsort(rules, (size_t)k, sizeof(Rule), compare_rules);
    *count = k;
    return rules;
}

/* The most characters `rules` write per character they read (at least 1): applied to n
 * characters, they write at most n times this. */
static size_t growth(const Rule *rules, Py_ssize_t count) {
    size_t most = 1;
    for (Py_ssize_t r = 0; r < count; r++) {
        size_t per = ((size_t)rules[r].to_len + (size_t)rules[r].from_len - 1) / (size_t)rules[r].from_len;
        if (per > most)
            most = per;
    }
    return most;
}

/* KeyRules(folds, alts, after_letter, not_before_vowel): translit's KEY_FOLDS and KEY_ALTS, and
 * the keys of KEY_ALTS that apply only after a letter [a-z] or only where no [aeiouy] follows. */
static int keyrules_init(KeyRules *self, PyObject *args, PyObject *kwargs) {
    PyObject *folds, *alts, *after_letter, *not_before_vowel;
    if (!PyArg_ParseTuple(args, "O!O!OO", &PyDict_Type, &folds, &PyDict_Type, &alts, &after_letter,
                          &not_before_vowel))
        return -1;
    keyrules_clear(self);
    PyObject *none = PyTuple_New(0);
    if (none == NULL)
        return -1;
    self->folds = rules_of(folds, none, none, &self->n_folds);
    Py_DECREF(none);
    if (self->folds == NULL)
        return -1;
    self->fold_growth = growth(self->folds, self->n_folds);
    Py_ssize_t n_alts;
    Rule *made = rules_of(alts, after_letter, not_before_vowel, &n_alts);
    if (made == NULL) {
        keyrules_clear(self);
        return -1;
    }
    self->alt_growth = growth(made, n_alts);
    self->n_alts = n_alts;
    self->alts = made;  /* last: key rules without them are not ready */
    return 0;
}

/* `text` with `rules` applied, into `out` (room for growth() times its length); its length. */
static Py_ssize_t apply_rules(const Rule *rules, Py_ssize_t n_rules, const char *text, Py_ssize_t len, char *out) {
    Py_ssize_t o = 0, pos = 0;
    while (pos < len) {
        const Rule *found = NULL;
        for (Py_ssize_t r = 0; r < n_rules && found == NULL; r++) {
            const Rule *rule = &rules[r];
            if (rule->from_len > len - pos || memcmp(text + pos, rule->from, (size_t)rule->from_len) != 0)
                continue;
            if (rule->context == AFTER_LETTER && !(pos > 0 && text[pos - 1] >= 'a' && text[pos - 1] <= 'z'))
                continue;
            if (rule->context == NOT_BEFORE_VOWEL && pos + rule->from_len < len
                && is_key_vowel(text[pos + rule->from_len]))
                continue;
            found = rule;
        }
        if (found == NULL) {
            out[o++] = text[pos++];
        } else {
            memcpy(out + o, found->to, (size_t)found->to_len);
            o += found->to_len;
            pos += found->from_len;
        }
    }
    return o;
}

/* Runs of one character as one, in place; the new length. */
static Py_ssize_t collapse_doubles(char *text, Py_ssize_t len) {
    Py_ssize_t o = 0;
    for (Py_ssize_t k = 0; k < len; k++)
        if (o == 0 || text[k] != text[o - 1])
            text[o++] = text[k];
    return o;
}

/* _fold: a final h after a vowel dropped, then KEY_FOLDS; into `out`, its length. */
static Py_ssize_t fold(const KeyRules *self, const char *token, Py_ssize_t len, char *out) {
    if (len >= 2 && token[len - 1] == 'h' && is_key_vowel(token[len - 2]))
        len--;
    return apply_rules(self->folds, self->n_folds, token, len, out);
}

/* _key of a folded text, into `out`: a leading vowel run as "a", other vowels dropped, runs of
 * one letter as one. Its length. */
static Py_ssize_t key_of(const char *folded, Py_ssize_t len, char *out) {
    Py_ssize_t o = 0, k = 0;
    if (len > 0 && is_key_vowel(folded[0])) {
        out[o++] = 'a';
        while (k < len && is_key_vowel(folded[k]))
            k++;
    } else if (len > 0) {
        out[o++] = folded[k++];
    }
    for (; k < len; k++)
        if (!is_key_vowel(folded[k]))
            out[o++] = folded[k];
    return collapse_doubles(out, o);
}

/* The token's profile (a tuple), or with `key_only` its key (a str); NotImplemented for a token
 * the rules do not take. */
static PyObject *keyrules_apply(KeyRules *self, PyObject *token, int key_only) {
    if (!initialized(self->alts, "key rules were"))
        return NULL;
    int len;
    const char *text = ascii_of(token, 4096, &len);
    if (text == NULL || memchr(text, '\n', (size_t)len) != NULL)
        Py_RETURN_NOTIMPLEMENTED;
    /* folded and key: the token folded; second: the alternatives applied; second_folded and
     * second_key: that folded */
    size_t room = (size_t)len * self->fold_growth + 1, second_room = (size_t)len * self->alt_growth + 1,
           refolded_room = (size_t)len * self->alt_growth * self->fold_growth + 1;
    size_t need = 2 * room + second_room + 2 * refolded_room;
    char stack[1024], *buffer = stack;
    if (need > sizeof(stack) && (buffer = PyMem_Malloc(need)) == NULL)
        return PyErr_NoMemory();
    char *folded = buffer, *key = folded + room, *second = key + room, *second_folded = second + second_room,
         *second_key = second_folded + refolded_room;
    Py_ssize_t folded_len = fold(self, text, len, folded);
    Py_ssize_t key_len = key_of(folded, folded_len, key);
    PyObject *out;
    if (key_only) {
        out = PyUnicode_FromStringAndSize(key, key_len);
    } else {
        Py_ssize_t second_len = apply_rules(self->alts, self->n_alts, text, len, second);
        Py_ssize_t second_key_len = key_len;
        const char *second_key_text = key;
        if (second_len != len || memcmp(second, text, (size_t)len) != 0) {
            second_key_len = key_of(second_folded, fold(self, second, second_len, second_folded), second_key);
            second_key_text = second_key;
        }
        Py_ssize_t skeleton_len = 0;  /* vowel runs as "a", then runs of one letter as one (in place) */
        for (Py_ssize_t k = 0, in_vowels = 0; k < folded_len; k++) {
            int vowel = is_key_vowel(folded[k]);
            if (!vowel)
                folded[skeleton_len++] = folded[k];
            else if (!in_vowels)
                folded[skeleton_len++] = 'a';
            in_vowels = vowel;
        }
        skeleton_len = collapse_doubles(folded, skeleton_len);
        int vowel = 0;
        for (int k = 0; k < len && !vowel; k++)
            vowel = text[k] == 'a' || text[k] == 'e' || text[k] == 'i' || text[k] == 'o' || text[k] == 'u';
        out = Py_BuildValue("(s#s#s#O)", key, key_len, second_key_text, second_key_len, folded, skeleton_len,
                            vowel ? Py_True : Py_False);
    }
    if (buffer != stack)
        PyMem_Free(buffer);
    return out;
}

static PyObject *keyrules_profile(KeyRules *self, PyObject *token) {
    return keyrules_apply(self, token, 0);
}

static PyObject *keyrules_key(KeyRules *self, PyObject *token) {
    return keyrules_apply(self, token, 1);
}

static PyMethodDef keyrules_methods[] = {
    {"profile", (PyCFunction)keyrules_profile, METH_O,
     "profile(token) -> (key, second key, skeleton, has a vowel) | NotImplemented\n\n"
     "translit._profile, for an ASCII token without a newline; NotImplemented for others."},
    {"key", (PyCFunction)keyrules_key, METH_O,
     "key(token) -> str | NotImplemented: translit._key (name_key), as profile() is translit._profile."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject KeyRulesType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "compliance.matching._speedups.KeyRules",
    .tp_doc = "translit's phonetic key rules, applied in C (translit._profile).",
    .tp_basicsize = sizeof(KeyRules),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)keyrules_init,
    .tp_dealloc = (destructor)keyrules_dealloc,
    .tp_methods = keyrules_methods,
};

/* -- Aligner ---------------------------------------------------------------------------- */

/* scoring.QueryName.rate for a query name whose similarities are looked up in a table (query
 * token or joined pair -> list token -> similarity), as screening's are: the greedy token
 * alignment, the compounds, and the score, with the same float operations in the same order.
 * Strings here are any str (code points are compared); the optimal string alignment and
 * Levenshtein similarities of short and transposed tokens are computed by plain dynamic
 * programming (tokens are short), as rapidfuzz's normalized_similarity: 1 - distance / max(len).
 * An Aligner serves one query name in one thread (the engine makes one per screen). */

enum {
    R_FLOOR, R_FULL, R_SHORT_SLACK, R_INITIAL, R_SUBSET_EXPONENT, R_WHOLE_EXPONENT, R_WHOLE_MIN_WEIGHT,
    R_FULL_EVIDENCE, R_THIN_FLOOR, R_WHOLE_COVERAGE, RULES
};
#define RATE_SLOTS 4  /* candidate exponents whose rates are kept (the engine uses two) */

typedef struct {
    PyObject_HEAD
    PyObject *tokens;       /* tuple of str */
    PyObject *table;        /* dict */
    Py_ssize_t size;
    double *weights;
    Py_ssize_t *lengths;
    char *digits;
    double rule[RULES];
    Py_ssize_t short_token, min_transposition;
    PyObject *alignable;    /* dict: candidate token -> bytes of Alignable */
    int slots;
    double exponents[RATE_SLOTS];
    PyObject *rates[RATE_SLOTS];  /* dicts: candidate token tuple -> rate */
} Aligner;

typedef struct {
    double s;
    Py_ssize_t i;
} Alignable;

typedef struct {
    double s, w;
    Py_ssize_t i, j;
} Scored;

typedef struct {
    double s;
    Py_ssize_t qi, qn, cj, cn;  /* first position and count (1 or 2) on each side */
} Pair;

static void aligner_clear(Aligner *self) {
    PyMem_Free(self->weights);
    PyMem_Free(self->lengths);
    PyMem_Free(self->digits);
    self->weights = NULL;
    self->lengths = NULL;
    self->digits = NULL;
    Py_CLEAR(self->tokens);
    Py_CLEAR(self->table);
    Py_CLEAR(self->alignable);
    for (int k = 0; k < self->slots; k++)
        Py_CLEAR(self->rates[k]);
    self->slots = 0;
}

static void aligner_dealloc(Aligner *self) {
    aligner_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* scoring._DIGIT (re's \d: a Unicode decimal digit) found in `s`. */
static int has_digit(PyObject *s) {
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    for (Py_ssize_t k = 0, n = PyUnicode_GET_LENGTH(s); k < n; k++)
        if (Py_UNICODE_ISDECIMAL(PyUnicode_READ(kind, data, k)))
            return 1;
    return 0;
}

/* Levenshtein distance, or with `transpositions` the optimal string alignment distance
 * (an adjacent swap is one edit); -1 with MemoryError. */
static Py_ssize_t edit_distance(PyObject *a, PyObject *b, int transpositions) {
    Py_ssize_t m = PyUnicode_GET_LENGTH(a), n = PyUnicode_GET_LENGTH(b);
    int ka = PyUnicode_KIND(a), kb = PyUnicode_KIND(b);
    const void *da = PyUnicode_DATA(a), *db = PyUnicode_DATA(b);
    Py_ssize_t stack[3 * 64], *rows = stack;
    if (3 * (n + 1) > 3 * 64 && (rows = PyMem_Malloc(3 * (size_t)(n + 1) * sizeof(Py_ssize_t))) == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    Py_ssize_t *before = rows, *previous = rows + (n + 1), *current = rows + 2 * (n + 1);
    for (Py_ssize_t j = 0; j <= n; j++)
        previous[j] = j;
    for (Py_ssize_t i = 1; i <= m; i++) {
        Py_UCS4 ca = PyUnicode_READ(ka, da, i - 1);
        current[0] = i;
        for (Py_ssize_t j = 1; j <= n; j++) {
            Py_UCS4 cb = PyUnicode_READ(kb, db, j - 1);
            Py_ssize_t d = previous[j - 1] + (ca != cb);
            if (previous[j] + 1 < d)
                d = previous[j] + 1;
            if (current[j - 1] + 1 < d)
                d = current[j - 1] + 1;
            if (transpositions && i > 1 && j > 1 && before[j - 2] + 1 < d && ca == PyUnicode_READ(kb, db, j - 2)
                && PyUnicode_READ(ka, da, i - 2) == cb)
                d = before[j - 2] + 1;
            current[j] = d;
        }
        Py_ssize_t *spare = before;
        before = previous;
        previous = current;
        current = spare;
    }
    Py_ssize_t distance = previous[n];
    if (rows != stack)
        PyMem_Free(rows);
    return distance;
}

/* rapidfuzz's Levenshtein (or OSA) normalized_similarity; -1.0 with an error. */
static double edit_similarity(PyObject *a, PyObject *b, int transpositions) {
    Py_ssize_t m = PyUnicode_GET_LENGTH(a), n = PyUnicode_GET_LENGTH(b), longest = m > n ? m : n;
    if (longest == 0)
        return 1.0;
    Py_ssize_t distance = edit_distance(a, b, transpositions);
    if (distance < 0)
        return -1.0;
    return 1.0 - (double)distance / (double)longest;
}

/* engine's table lookup: table[a][b], else table[b][a], else 0.0; -1.0 with an error. */
static double looked_up(PyObject *table, PyObject *a, PyObject *b) {
    PyObject *found = PyDict_GetItemWithError(table, a), *key = b;
    if (found == NULL) {
        if (PyErr_Occurred())
            return -1.0;
        found = PyDict_GetItemWithError(table, b);
        key = a;
        if (found == NULL)
            return PyErr_Occurred() ? -1.0 : 0.0;
    }
    if (!PyDict_Check(found)) {
        PyErr_SetString(PyExc_TypeError, "the similarity table's values must be dicts");
        return -1.0;
    }
    PyObject *value = PyDict_GetItemWithError(found, key);
    if (value == NULL)
        return PyErr_Occurred() ? -1.0 : 0.0;
    double s = PyFloat_AsDouble(value);
    return s == -1.0 && PyErr_Occurred() ? -1.0 : s;
}

static int same_str(PyObject *a, PyObject *b) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(a);
    return n == PyUnicode_GET_LENGTH(b) && PyUnicode_KIND(a) == PyUnicode_KIND(b)
           && memcmp(PyUnicode_DATA(a), PyUnicode_DATA(b), (size_t)n * PyUnicode_KIND(a)) == 0;
}

/* The `n` floats of `sequence` into `out`; -1 with an error if it is not a sequence of `n`
 * floats (`mismatch`: the message for another length). */
static int read_weights(PyObject *sequence, Py_ssize_t n, double *out, const char *mismatch) {
    PyObject *fast = PySequence_Fast(sequence, "weights must be a sequence");
    if (fast == NULL)
        return -1;
    int result = 0;
    if (PySequence_Fast_GET_SIZE(fast) != n) {
        PyErr_SetString(PyExc_ValueError, mismatch);
        result = -1;
    }
    for (Py_ssize_t i = 0; i < n && result == 0; i++) {
        out[i] = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(fast, i));
        if (out[i] == -1.0 && PyErr_Occurred())
            result = -1;
    }
    Py_DECREF(fast);
    return result;
}

/* Aligner(tokens, weights, table, rules): tokens a tuple of non-empty strs, weights a sequence
 * of as many floats, table a dict, rules (token_floor, token_full, short_token_slack,
 * initial_similarity, subset_exponent, whole_name_exponent, whole_name_min_weight,
 * full_evidence_weight, thin_evidence_floor, whole_coverage, short_token,
 * min_transposition_token): scoring.py's constants. */
static int aligner_init(Aligner *self, PyObject *args, PyObject *kwargs) {
    PyObject *tokens, *weights, *table, *rules;
    if (!PyArg_ParseTuple(args, "O!OO!O!", &PyTuple_Type, &tokens, &weights, &PyDict_Type, &table,
                          &PyTuple_Type, &rules))
        return -1;
    aligner_clear(self);
    double *r = self->rule;
    if (!PyArg_ParseTuple(rules, "ddddddddddnn", &r[R_FLOOR], &r[R_FULL], &r[R_SHORT_SLACK], &r[R_INITIAL],
                          &r[R_SUBSET_EXPONENT], &r[R_WHOLE_EXPONENT], &r[R_WHOLE_MIN_WEIGHT], &r[R_FULL_EVIDENCE],
                          &r[R_THIN_FLOOR], &r[R_WHOLE_COVERAGE], &self->short_token, &self->min_transposition))
        return -1;
    Py_ssize_t n = PyTuple_GET_SIZE(tokens);
    size_t slots = (size_t)(n ? n : 1);
    self->weights = PyMem_Malloc(slots * sizeof(double));
    self->lengths = PyMem_Malloc(slots * sizeof(Py_ssize_t));
    self->digits = PyMem_Malloc(slots);
    self->alignable = PyDict_New();
    if (self->weights == NULL || self->lengths == NULL || self->digits == NULL || self->alignable == NULL) {
        aligner_clear(self);
        PyErr_NoMemory();
        return -1;
    }
    if (read_weights(weights, n, self->weights, "tokens and weights differ in length") < 0) {
        aligner_clear(self);
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *token = PyTuple_GET_ITEM(tokens, i);
        if (!PyUnicode_Check(token) || PyUnicode_GET_LENGTH(token) == 0) {
            aligner_clear(self);
            PyErr_SetString(PyExc_ValueError, "tokens must be non-empty strs");
            return -1;
        }
        self->lengths[i] = PyUnicode_GET_LENGTH(token);
        self->digits[i] = (char)has_digit(token);
    }
    self->size = n;
    Py_INCREF(table);
    self->table = table;
    Py_INCREF(tokens);
    self->tokens = tokens;  /* last: an Aligner without it is not ready */
    return 0;
}

/* QueryName._alignable: the query positions that can align with candidate token `b`, with
 * their similarities, as bytes of Alignable (kept per token); a borrowed reference. */
static PyObject *alignable_of(Aligner *self, PyObject *b) {
    PyObject *kept = PyDict_GetItemWithError(self->alignable, b);
    if (kept != NULL || PyErr_Occurred())
        return kept;
    Alignable *found = PyMem_Malloc((size_t)(self->size ? self->size : 1) * sizeof(Alignable));
    if (found == NULL)
        return PyErr_NoMemory();
    const double *r = self->rule;
    Py_ssize_t count = 0, lb = PyUnicode_GET_LENGTH(b);
    int b_digits = has_digit(b);
    Py_UCS4 b0 = PyUnicode_READ_CHAR(b, 0);
    for (Py_ssize_t i = 0; i < self->size; i++) {
        PyObject *a = PyTuple_GET_ITEM(self->tokens, i);
        Py_ssize_t la = self->lengths[i];
        double s;
        if (same_str(a, b)) {
            s = 1.0;
        } else if (la == 1 || lb == 1) {
            s = PyUnicode_READ_CHAR(a, 0) == b0 ? r[R_INITIAL] : 0.0;
        } else if (b_digits || self->digits[i]) {
            continue;
        } else {
            s = looked_up(self->table, a, b);
            if (s == -1.0 && PyErr_Occurred())
                goto failed;
            Py_ssize_t shortest = la < lb ? la : lb;
            if (shortest <= self->short_token) {
                if (s >= r[R_FLOOR]) {
                    double edit = edit_similarity(a, b, 0);
                    if (edit < 0.0)
                        goto failed;
                    edit += r[R_SHORT_SLACK];
                    if (edit < s)
                        s = edit;
                }
            } else if (s < r[R_FULL] && shortest >= self->min_transposition) {
                double swapped = edit_similarity(a, b, 1);
                if (swapped < 0.0)
                    goto failed;
                if (swapped > s)
                    s = swapped;
            }
        }
        if (s >= r[R_FLOOR]) {
            found[count].s = s;
            found[count++].i = i;
        }
    }
    kept = PyBytes_FromStringAndSize((const char *)found, count * (Py_ssize_t)sizeof(Alignable));
    PyMem_Free(found);
    if (kept == NULL)
        return NULL;
    int stored = PyDict_SetItem(self->alignable, b, kept);
    Py_DECREF(kept);  /* the dict holds it */
    return stored < 0 ? NULL : kept;
failed:
    PyMem_Free(found);
    return NULL;
}

/* _align's order: most similar first, then heavier, then query and candidate order. */
static int compare_scored(const void *x, const void *y) {
    const Scored *a = x, *b = y;
    if (a->s != b->s)
        return a->s > b->s ? -1 : 1;
    if (a->w != b->w)
        return a->w > b->w ? -1 : 1;
    if (a->i != b->i)
        return a->i < b->i ? -1 : 1;
    return (a->j > b->j) - (a->j < b->j);
}

typedef struct {
    PyObject *tokens;  /* tuple */
    Py_ssize_t size;
    const double *weights;
    char *used;
} Side;

static double credit_of(const double *r, double s) {
    if (s < r[R_FLOOR])
        return 0.0;
    double gain = s / r[R_FULL];
    return gain < 1.0 ? gain : 1.0;
}

/* _align_compounds: two adjacent unused tokens of `one` joined, against the most similar
 * unused token of `other` (the last of equals); pairs appended. -1 with an error. */
static int align_compounds(Aligner *self, Side *one, Side *other, int flip, Pair *pairs, Py_ssize_t *count) {
    for (Py_ssize_t i = 0; i + 1 < one->size; i++) {
        if (one->used[i] || one->used[i + 1])
            continue;
        PyObject *joined = PyUnicode_Concat(PyTuple_GET_ITEM(one->tokens, i), PyTuple_GET_ITEM(one->tokens, i + 1));
        if (joined == NULL)
            return -1;
        double best = 0.0;
        Py_ssize_t found = -1;
        for (Py_ssize_t j = 0; j < other->size; j++) {
            if (other->used[j])
                continue;
            double s = looked_up(self->table, joined, PyTuple_GET_ITEM(other->tokens, j));
            if (s == -1.0 && PyErr_Occurred()) {
                Py_DECREF(joined);
                return -1;
            }
            if (s >= best) {
                best = s;
                found = j;
            }
        }
        Py_DECREF(joined);
        if (best >= self->rule[R_FLOOR]) {
            one->used[i] = one->used[i + 1] = other->used[found] = 1;
            Pair *p = &pairs[(*count)++];
            p->s = best;
            if (flip) {
                p->qi = found, p->qn = 1, p->cj = i, p->cn = 2;
            } else {
                p->qi = i, p->qn = 2, p->cj = found, p->cn = 1;
            }
        }
    }
    return 0;
}

/* _whole: every token of the side matched at full credit, none of SHORT_TOKEN letters or
 * fewer, and two tokens or a heavy one. */
static int whole(const Aligner *self, const Side *side, const Pair *pairs, Py_ssize_t count) {
    for (Py_ssize_t p = 0; p < count; p++)
        if (credit_of(self->rule, pairs[p].s) < 1.0)
            return 0;
    for (Py_ssize_t k = 0; k < side->size; k++)
        if (PyUnicode_GET_LENGTH(PyTuple_GET_ITEM(side->tokens, k)) <= self->short_token)
            return 0;
    return side->size >= 2 || side->weights[0] >= self->rule[R_WHOLE_MIN_WEIGHT];
}

/* _score of an alignment; -1.0 with ZeroDivisionError if a side weighs nothing. */
static double score_of(const Aligner *self, const Side *q, const Side *c, const Pair *pairs, Py_ssize_t count,
                       double exponent) {
    const double *r = self->rule;
    double q_total = 0.0, c_total = 0.0, q_matched = 0.0, c_matched = 0.0;
    for (Py_ssize_t k = 0; k < q->size; k++)
        q_total += q->weights[k];
    for (Py_ssize_t k = 0; k < c->size; k++)
        c_total += c->weights[k];
    for (Py_ssize_t p = 0; p < count; p++) {
        const Pair *pair = &pairs[p];
        double gain = credit_of(r, pair->s), qw, cw;
        if (pair->qn == 1 && pair->cn == 1) {
            qw = q->weights[pair->qi];
            cw = c->weights[pair->cj];
            if (PyUnicode_GET_LENGTH(PyTuple_GET_ITEM(q->tokens, pair->qi)) == 1
                || PyUnicode_GET_LENGTH(PyTuple_GET_ITEM(c->tokens, pair->cj)) == 1)
                qw = cw = cw < qw ? cw : qw;
        } else {
            qw = q->weights[pair->qi];
            if (pair->qn == 2)
                qw += q->weights[pair->qi + 1];
            cw = c->weights[pair->cj];
            if (pair->cn == 2)
                cw += c->weights[pair->cj + 1];
        }
        q_matched += gain * qw;
        c_matched += gain * cw;
    }
    if (q_total == 0.0 || c_total == 0.0) {
        PyErr_SetString(PyExc_ZeroDivisionError, "a name's tokens weigh nothing");
        return -1.0;
    }
    double q_cov = q_matched / q_total, c_cov = c_matched / c_total;
    int query_smaller = q_total <= c_total;
    const Side *small = query_smaller ? q : c;
    double small_cov = query_smaller ? q_cov : c_cov, large_cov = query_smaller ? c_cov : q_cov;
    double small_matched = query_smaller ? q_matched : c_matched;
    if (small_cov >= r[R_WHOLE_COVERAGE] && whole(self, small, pairs, count) && r[R_WHOLE_EXPONENT] < exponent)
        exponent = r[R_WHOLE_EXPONENT];
    double score = pow(small_cov, r[R_SUBSET_EXPONENT]) * pow(large_cov, exponent);
    double evidence = small_matched / r[R_FULL_EVIDENCE];
    score *= r[R_THIN_FLOOR] + (1 - r[R_THIN_FLOOR]) * (evidence < 1.0 ? evidence : 1.0);
    return score < 1.0 ? score : 1.0;
}

/* The rate of a candidate name, computed; -1.0 with an error. */
static double rated(Aligner *self, PyObject *candidate, const double *weights, double exponent) {
    Py_ssize_t n = PyTuple_GET_SIZE(candidate), m = self->size, scored = 0, capacity = 0;
    for (Py_ssize_t j = 0; j < n; j++) {
        PyObject *b = PyTuple_GET_ITEM(candidate, j);
        if (!PyUnicode_Check(b) || PyUnicode_GET_LENGTH(b) == 0) {
            PyErr_SetString(PyExc_ValueError, "candidate tokens must be non-empty strs");
            return -1.0;
        }
    }
    PyObject **found = PyMem_Malloc((size_t)n * sizeof(PyObject *));
    char *used = PyMem_Calloc((size_t)(m + n), 1);
    Pair *pairs = PyMem_Malloc((size_t)(m + n) * sizeof(Pair));
    Scored *entries = NULL;
    double result = -1.0;
    if (found == NULL || used == NULL || pairs == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t j = 0; j < n; j++) {  /* borrowed: the alignable dict holds them */
        if ((found[j] = alignable_of(self, PyTuple_GET_ITEM(candidate, j))) == NULL)
            goto done;
        capacity += PyBytes_GET_SIZE(found[j]) / (Py_ssize_t)sizeof(Alignable);
    }
    if ((entries = PyMem_Malloc((size_t)(capacity ? capacity : 1) * sizeof(Scored))) == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t j = 0; j < n; j++) {
        const Alignable *a = (const Alignable *)PyBytes_AS_STRING(found[j]);
        for (Py_ssize_t k = 0, count = PyBytes_GET_SIZE(found[j]) / (Py_ssize_t)sizeof(Alignable); k < count; k++) {
            Scored *e = &entries[scored++];
            e->s = a[k].s;
            e->w = self->weights[a[k].i] + weights[j];
            e->i = a[k].i;
            e->j = j;
        }
    }
    qsort(entries, (size_t)scored, sizeof(Scored), compare_scored);
    Side q = {self->tokens, m, self->weights, used}, c = {candidate, n, weights, used + m};
    Py_ssize_t count = 0, q_left = m, c_left = n;
    for (Py_ssize_t k = 0; k < scored; k++) {
        Scored *e = &entries[k];
        if (!q.used[e->i] && !c.used[e->j]) {
            q.used[e->i] = c.used[e->j] = 1;
            q_left--, c_left--;
            Pair *p = &pairs[count++];
            p->s = e->s, p->qi = e->i, p->qn = 1, p->cj = e->j, p->cn = 1;
        }
    }
    if (q_left > 0 && c_left > 0
        && (align_compounds(self, &q, &c, 0, pairs, &count) < 0 || align_compounds(self, &c, &q, 1, pairs, &count) < 0))
        goto done;
    result = score_of(self, &q, &c, pairs, count, exponent);
done:
    PyMem_Free(found);
    PyMem_Free(used);
    PyMem_Free(pairs);
    PyMem_Free(entries);
    return result;
}

static const char RATE_DOC[] =
    "rate(candidate, weights, exponent) -> float\n\n"
    "QueryName.rate: the name score of the candidate token tuple (with its tokens' weights, a\n"
    "sequence of floats) at the candidate exponent; kept per candidate and exponent.";

/* The rate of `candidate` (a tuple) with `weights` (a sequence of floats), kept per candidate
 * and exponent; -1 with an error. */
static int rate_of(Aligner *self, PyObject *candidate, PyObject *weights, double exponent, double *rate) {
    PyObject *rates = NULL;
    for (int k = 0; k < self->slots && rates == NULL; k++)
        if (self->exponents[k] == exponent)
            rates = self->rates[k];
    if (rates == NULL && self->slots < RATE_SLOTS) {
        if ((rates = PyDict_New()) == NULL)
            return -1;
        self->exponents[self->slots] = exponent;
        self->rates[self->slots++] = rates;
    }
    if (rates != NULL) {
        PyObject *kept = PyDict_GetItemWithError(rates, candidate);
        if (kept != NULL) {
            *rate = PyFloat_AS_DOUBLE(kept);
            return 0;
        }
        if (PyErr_Occurred())
            return -1;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(candidate);
    *rate = 0.0;  /* NO_NAME's */
    if (self->size > 0 && n > 0) {
        double stack[32], *w = stack;
        if (n > 32 && (w = PyMem_Malloc((size_t)n * sizeof(double))) == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        int ok = read_weights(weights, n, w, "the candidate's tokens and weights differ in length") == 0;
        if (ok)
            *rate = rated(self, candidate, w, exponent);
        if (w != stack)
            PyMem_Free(w);
        if (!ok || PyErr_Occurred())
            return -1;
    }
    if (rates != NULL) {
        PyObject *out = PyFloat_FromDouble(*rate);
        int stored = out == NULL ? -1 : PyDict_SetItem(rates, candidate, out);
        Py_XDECREF(out);
        if (stored < 0)
            return -1;
    }
    return 0;
}

static PyObject *aligner_rate(Aligner *self, PyObject *args) {
    PyObject *candidate, *weights;
    double exponent, rate;
    if (!PyArg_ParseTuple(args, "O!Od", &PyTuple_Type, &candidate, &weights, &exponent))
        return NULL;
    if (!initialized(self->tokens, "aligner was") || rate_of(self, candidate, weights, exponent, &rate) < 0)
        return NULL;
    return PyFloat_FromDouble(rate);
}

static PyMethodDef aligner_methods[] = {
    {"rate", (PyCFunction)aligner_rate, METH_VARARGS, RATE_DOC},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject AlignerType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "compliance.matching._speedups.Aligner",
    .tp_doc = "A query name's token alignment and name score (scoring.QueryName.rate), in C.",
    .tp_basicsize = sizeof(Aligner),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)aligner_init,
    .tp_dealloc = (destructor)aligner_dealloc,
    .tp_methods = aligner_methods,
};

static const char BEST_PAIR_DOC[] =
    "best_pair(aligners, factors, name_ids, tokens, weights, name_factors, exponent)\n"
    "    -> (adjusted, aligner position, name id)\n\n"
    "engine.Engine._best_name over Aligners: the best of rate * factor * name factor over every\n"
    "aligner (with its factor) and every name id (its tokens, weights and factor the entries of\n"
    "those lists at the id), the first of equals; (0.0, -1, -1) if none scores above 0.";

static PyObject *module_best_pair(PyObject *module, PyObject *args) {
    PyObject *aligners, *factors, *ids, *tokens, *weights, *name_factors;
    double exponent;
    if (!PyArg_ParseTuple(args, "O!O!O!O!O!O!d", &PyList_Type, &aligners, &PyList_Type, &factors, &PyList_Type, &ids,
                          &PyList_Type, &tokens, &PyList_Type, &weights, &PyList_Type, &name_factors, &exponent))
        return NULL;
    Py_ssize_t forms = PyList_GET_SIZE(aligners), names = PyList_GET_SIZE(tokens);
    if (PyList_GET_SIZE(factors) != forms || PyList_GET_SIZE(weights) != names
        || PyList_GET_SIZE(name_factors) != names) {
        PyErr_SetString(PyExc_ValueError, "the lists differ in length");
        return NULL;
    }
    double best = 0.0;
    Py_ssize_t best_form = -1, best_id = -1;
    for (Py_ssize_t f = 0; f < forms; f++) {
        PyObject *aligner = PyList_GET_ITEM(aligners, f);
        if (!PyObject_TypeCheck(aligner, &AlignerType)) {
            PyErr_SetString(PyExc_TypeError, "aligners must be Aligners");
            return NULL;
        }
        if (!initialized(((Aligner *)aligner)->tokens, "aligner was"))
            return NULL;
        double factor = PyFloat_AsDouble(PyList_GET_ITEM(factors, f));
        if (factor == -1.0 && PyErr_Occurred())
            return NULL;
        for (Py_ssize_t k = 0; k < PyList_GET_SIZE(ids); k++) {
            Py_ssize_t id = PyLong_AsSsize_t(PyList_GET_ITEM(ids, k));
            if (id == -1 && PyErr_Occurred())
                return NULL;
            if (id < 0 || id >= names) {
                PyErr_SetString(PyExc_IndexError, "a name id is out of range");
                return NULL;
            }
            PyObject *candidate = PyList_GET_ITEM(tokens, id);
            if (!PyTuple_Check(candidate)) {
                PyErr_SetString(PyExc_TypeError, "a name's tokens must be a tuple");
                return NULL;
            }
            double rate, name_factor = PyFloat_AsDouble(PyList_GET_ITEM(name_factors, id));
            if ((name_factor == -1.0 && PyErr_Occurred())
                || rate_of((Aligner *)aligner, candidate, PyList_GET_ITEM(weights, id), exponent, &rate) < 0)
                return NULL;
            double adjusted = rate * factor * name_factor;
            if (adjusted > best) {
                best = adjusted;
                best_form = f;
                best_id = id;
            }
        }
    }
    return Py_BuildValue("(dnn)", best, best_form, best_id);
}

/* -- ranking ---------------------------------------------------------------------------- */

typedef struct {
    double upper;
    Py_ssize_t position;
    int32_t entity, id;
} Reached;

typedef struct {
    double upper;
    Py_ssize_t start, stop;
} Group;

static int compare_reached(const void *x, const void *y) {  /* by entity, best bound first, then as given */
    const Reached *a = x, *b = y;
    if (a->entity != b->entity)
        return a->entity < b->entity ? -1 : 1;
    if (a->upper != b->upper)
        return a->upper > b->upper ? -1 : 1;
    return (a->position > b->position) - (a->position < b->position);
}

static int compare_groups(const void *x, const void *y) {  /* best bound first, then by entity */
    const Group *a = x, *b = y;
    if (a->upper != b->upper)
        return a->upper > b->upper ? -1 : 1;
    return (a->start > b->start) - (a->start < b->start);
}

static const char RANK_DOC[] =
    "rank(name_entity, ids, uppers, limit) -> [(entity, name ids, best bound), ...]\n\n"
    "engine._rank_entities: the names reached (ids, a list of int32 buffers, with their bounds,\n"
    "float64 buffers of the same lengths), grouped by their entity (name_entity, an int32\n"
    "buffer per name id); the `limit` entities with the best bounds, best first (ties by entity),\n"
    "each with its names best bound first (ties in the order given), each name once.";

static PyObject *module_rank(PyObject *module, PyObject *args) {
    PyObject *name_entity, *ids, *uppers;
    Py_ssize_t limit;
    if (!PyArg_ParseTuple(args, "OO!O!n", &name_entity, &PyList_Type, &ids, &PyList_Type, &uppers, &limit))
        return NULL;
    Py_ssize_t parts = PyList_GET_SIZE(ids);
    if (PyList_GET_SIZE(uppers) != parts) {
        PyErr_SetString(PyExc_ValueError, "ids and uppers differ in length");
        return NULL;
    }
    Py_buffer entities;
    if (typed_buffer(name_entity, &entities, "i", 4) < 0)
        return NULL;
    Py_ssize_t names = entities.len / 4, total = 0, held = 0;
    Py_buffer *views = PyMem_Calloc((size_t)(2 * parts + 1), sizeof(Py_buffer));
    Reached *reached = NULL;
    Group *groups = NULL;
    PyObject *out = NULL;
    if (views == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (; held < parts; held++) {
        if (typed_buffer(PyList_GET_ITEM(ids, held), &views[2 * held], "i", 4) < 0)
            goto done;
        if (typed_buffer(PyList_GET_ITEM(uppers, held), &views[2 * held + 1], "d", 8) < 0) {
            PyBuffer_Release(&views[2 * held]);
            goto done;
        }
        if (views[2 * held].len / 4 != views[2 * held + 1].len / 8) {
            PyBuffer_Release(&views[2 * held]);
            PyBuffer_Release(&views[2 * held + 1]);
            PyErr_SetString(PyExc_ValueError, "ids and their bounds differ in length");
            goto done;
        }
        total += views[2 * held].len / 4;
    }
    reached = PyMem_Malloc((size_t)(total ? total : 1) * sizeof(Reached));
    groups = PyMem_Malloc((size_t)(total ? total : 1) * sizeof(Group));
    if (reached == NULL || groups == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    const int32_t *entity_of = entities.buf;
    Py_ssize_t k = 0;
    for (Py_ssize_t part = 0; part < parts; part++) {
        const int32_t *id = views[2 * part].buf;
        const double *upper = views[2 * part + 1].buf;
        for (Py_ssize_t i = 0, n = views[2 * part].len / 4; i < n; i++, k++) {
            if (id[i] < 0 || id[i] >= names) {
                PyErr_SetString(PyExc_IndexError, "a name id is out of range");
                goto done;
            }
            reached[k].upper = upper[i];
            reached[k].position = k;
            reached[k].id = id[i];
            reached[k].entity = entity_of[id[i]];
        }
    }
    qsort(reached, (size_t)total, sizeof(Reached), compare_reached);
    Py_ssize_t count = 0;
    for (Py_ssize_t i = 0; i < total; i++) {
        if (i == 0 || reached[i].entity != reached[i - 1].entity) {
            groups[count].upper = reached[i].upper;
            groups[count++].start = i;
        }
        groups[count - 1].stop = i + 1;
    }
    qsort(groups, (size_t)count, sizeof(Group), compare_groups);
    if (limit < count)
        count = limit < 0 ? 0 : limit;
    if ((out = PyList_New(count)) == NULL)
        goto done;
    for (Py_ssize_t g = 0; g < count; g++) {
        PyObject *members = PyList_New(0);
        if (members == NULL)
            goto failed;
        for (Py_ssize_t i = groups[g].start; i < groups[g].stop; i++) {
            int seen = 0;  /* a name reached by two query names: once, where it is best */
            for (Py_ssize_t j = groups[g].start; j < i && !seen; j++)
                seen = reached[j].id == reached[i].id;
            if (seen)
                continue;
            PyObject *id = PyLong_FromLong(reached[i].id);
            if (id == NULL || PyList_Append(members, id) < 0) {
                Py_XDECREF(id);
                Py_DECREF(members);
                goto failed;
            }
            Py_DECREF(id);
        }
        PyObject *item = Py_BuildValue("(lNd)", (long)reached[groups[g].start].entity, members, groups[g].upper);
        if (item == NULL)
            goto failed;
        PyList_SET_ITEM(out, g, item);
    }
    goto done;
failed:
    Py_CLEAR(out);
done:
    for (Py_ssize_t i = 0; i < held; i++) {
        PyBuffer_Release(&views[2 * i]);
        PyBuffer_Release(&views[2 * i + 1]);
    }
    PyBuffer_Release(&entities);
    PyMem_Free(views);
    PyMem_Free(reached);
    PyMem_Free(groups);
    return out;
}

/* -- bound ------------------------------------------------------------------------------ */

static const char BOUND_DOC[] =
    "bound(ids, bq, bc, totals, q_total, floor, constants) -> (ids, bounds, larger) as bytes\n\n"
    "engine._bounded: of the names `ids` (int32) a query form reached, with coverage bounds bq\n"
    "and bc (float64), those whose larger coverage bound (plus the tie break) is not below\n"
    "floor - slack and whose score bound (engine._name_bounds, plus the tie break) is not below\n"
    "`floor`, in the order given; `totals` (float64) by name id. constants: (slack, tie break,\n"
    "whole, whole exponent, candidate exponent, thin evidence floor, 1 - that floor, full\n"
    "evidence weight), as the Python path has them.";

/* Every operation as numpy does it on the Python path, in the same order (no contraction into
 * fused multiply-adds: -std=c99), and pow is the C library's, as the Python path's is where
 * this module is built (power() below; tests/compliance/matching/test_speedups.py holds the
 * two equal). */
static PyObject *module_bound(PyObject *module, PyObject *args) {
    PyObject *objects[4];
    double q_total, floor, slack, tie, whole, whole_exponent, exponent, thin, thin_scale, full;
    if (!PyArg_ParseTuple(args, "OOOOdd(dddddddd)", &objects[0], &objects[1], &objects[2], &objects[3], &q_total,
                          &floor, &slack, &tie, &whole, &whole_exponent, &exponent, &thin, &thin_scale, &full))
        return NULL;
    Py_buffer views[4];
    int held = 0;
    PyObject *result = NULL;
    int32_t *kept_ids = NULL;
    double *kept = NULL;
    for (; held < 4; held++)
        if (typed_buffer(objects[held], &views[held], held ? "d" : "i", held ? 8 : 4) < 0)
            goto done;
    Py_ssize_t n = views[0].len / 4, names = views[3].len / 8;
    if (views[1].len / 8 != n || views[2].len / 8 != n) {
        PyErr_SetString(PyExc_ValueError, "ids, bq and bc differ in length");
        goto done;
    }
    const int32_t *ids = views[0].buf;
    const double *bq = views[1].buf, *bc = views[2].buf, *totals = views[3].buf;
    for (Py_ssize_t i = 0; i < n; i++)
        if (ids[i] < 0 || ids[i] >= names) {
            PyErr_SetString(PyExc_ValueError, "a name id is out of range");
            goto done;
        }
    kept_ids = PyMem_Malloc((size_t)(n ? n : 1) * sizeof(int32_t));
    kept = PyMem_Malloc((size_t)(n ? n : 1) * 2 * sizeof(double));  /* bounds, then larger */
    if (kept_ids == NULL || kept == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    double near = floor - slack;
    Py_ssize_t k = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        double q = bq[i], c = bc[i], tied = tie * (q + c);
        double larger = (q >= c ? q : c) + tied;
        if (!(larger >= near))
            continue;
        double q1 = q < 1.0 ? q : 1.0, c1 = c < 1.0 ? c : 1.0, total = totals[ids[i]];
        double one = q1 * pow(c1, q1 >= whole ? whole_exponent : exponent);
        double other = c1 * pow(q1, c1 >= whole ? whole_exponent : exponent);
        double lighter = q_total <= total ? q1 * q_total : c1 * total;
        double share = lighter / full;
        double upper = (one >= other ? one : other) * (thin + thin_scale * (share < 1.0 ? share : 1.0)) + tied;
        if (upper >= floor) {
            kept_ids[k] = ids[i];
            kept[k] = upper;
            kept[n + k] = larger;
            k++;
        }
    }
    result = Py_BuildValue("(y#y#y#)", (const char *)kept_ids, k * (Py_ssize_t)sizeof(int32_t), (const char *)kept,
                           k * (Py_ssize_t)sizeof(double), (const char *)(kept + n), k * (Py_ssize_t)sizeof(double));
done:
    for (int v = 0; v < held; v++)
        PyBuffer_Release(&views[v]);
    PyMem_Free(kept_ids);
    PyMem_Free(kept);
    return result;
}

static const char POWER_DOC[] =
    "power(base, exponent) -> bytes: base[i] ** exponent[i] by the C library's pow, for float64\n"
    "buffers of one length. engine._name_bounds uses it where this module is built: numpy's\n"
    "float64 power has SIMD loops of its own on some CPUs (AVX-512) that differ from pow in the\n"
    "last bit, and the bound must be the same number whichever path computes it.";

static PyObject *module_power(PyObject *module, PyObject *args) {
    PyObject *objects[2];
    if (!PyArg_ParseTuple(args, "OO", &objects[0], &objects[1]))
        return NULL;
    Py_buffer views[2];
    int held = 0;
    PyObject *result = NULL;
    for (; held < 2; held++)
        if (typed_buffer(objects[held], &views[held], "d", 8) < 0)
            goto done;
    if (views[0].len != views[1].len) {
        PyErr_SetString(PyExc_ValueError, "base and exponent differ in length");
        goto done;
    }
    Py_ssize_t n = views[0].len / 8;
    result = PyBytes_FromStringAndSize(NULL, n * 8);
    if (result == NULL)
        goto done;
    double *out = (double *)PyBytes_AS_STRING(result);
    const double *base = views[0].buf, *exponent = views[1].buf;
    for (Py_ssize_t i = 0; i < n; i++)
        out[i] = pow(base[i], exponent[i]);
done:
    for (int v = 0; v < held; v++)
        PyBuffer_Release(&views[v]);
    return result;
}

/* -- module ----------------------------------------------------------------------------- */

static PyObject *module_similarity(PyObject *module, PyObject *args) {
    PyObject *a, *b;
    if (!PyArg_ParseTuple(args, "UU", &a, &b))
        return NULL;
    int la, lb;
    const char *ta = ascii_of(a, MAX_PATTERN, &la), *tb = ascii_of(b, INT32_MAX, &lb);
    if (ta == NULL || tb == NULL)
        Py_RETURN_NOTIMPLEMENTED;
    Pattern p;
    pattern_init(&p, ta, la);
    return PyFloat_FromDouble(similarity(&p, tb, lb));
}

static PyMethodDef module_methods[] = {
    {"best_pair", module_best_pair, METH_VARARGS, BEST_PAIR_DOC},
    {"rank", module_rank, METH_VARARGS, RANK_DOC},
    {"bound", module_bound, METH_VARARGS, BOUND_DOC},
    {"power", module_power, METH_VARARGS, POWER_DOC},
    {"levenshtein_similarity", module_similarity, METH_VARARGS,
     "levenshtein_similarity(a, b) -> float: rapidfuzz's Levenshtein.normalized_similarity, for "
     "ASCII strings (a at most 64 characters); NotImplemented otherwise."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef speedups_module = {
    PyModuleDef_HEAD_INIT, "_speedups",
    "Compiled retrieval for compliance.matching (see _speedups.c).", -1, module_methods,
};

PyMODINIT_FUNC PyInit__speedups(void) {
    if (PyType_Ready(&VocabularyType) < 0 || PyType_Ready(&PostingsType) < 0 || PyType_Ready(&AlignerType) < 0
        || PyType_Ready(&KeyRulesType) < 0)
        return NULL;
    PyObject *module = PyModule_Create(&speedups_module);
    if (module == NULL)
        return NULL;
    Py_INCREF(&VocabularyType);
    Py_INCREF(&PostingsType);
    Py_INCREF(&AlignerType);
    Py_INCREF(&KeyRulesType);
    if (PyModule_AddObject(module, "Vocabulary", (PyObject *)&VocabularyType) < 0
        || PyModule_AddObject(module, "Postings", (PyObject *)&PostingsType) < 0
        || PyModule_AddObject(module, "Aligner", (PyObject *)&AlignerType) < 0
        || PyModule_AddObject(module, "KeyRules", (PyObject *)&KeyRulesType) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
