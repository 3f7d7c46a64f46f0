/*
 * safetensors.c - a net's tensors to and from .safetensors files.
 *
 * The format: an 8-byte little-endian header length N, N bytes of JSON
 *
 *     {"conv1.weight":{"dtype":"F32","shape":[16,1,3,3],"data_offsets":[0,576]},
 *      ..., "__metadata__":{"format":"pt"}}
 *
 * padded with spaces to a multiple of 8, then the tensors' little-endian
 * bytes back to back. Names are PyTorch state_dict names, so the file loads
 * into the equivalent torch module; num_batches_tracked is written as
 * PyTorch keeps it, an I64 scalar (shape []).
 *
 * The reader parses only this shape of header (a JSON object of tensor
 * objects plus a string-to-string __metadata__) and treats the file as
 * hostile: every length, offset and count is checked against the file and
 * the net before it is used. Loading is all or nothing: tensors go to a
 * staging copy first and reach the net only when the whole file checked
 * out, and the names must match the net's exactly (strict, as
 * load_state_dict).
 */
#include "config.h"

#include "eval/train.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"

/* safetensors' own limit on the header. */
#define MAX_HEADER 100000000u
#define CHUNK      1024 /* floats converted per write or read */

/* --- the tensors of a net --- */

/* num_batches_tracked: one float in the net, an I64 scalar in the file. */
static int is_counter(const struct anas_net_tensor *t)
{
    static const char suffix[] = ".num_batches_tracked";
    size_t n = strlen(t->name), s = sizeof suffix - 1;
    return t->count == 1 && n >= s && strcmp(t->name + n - s, suffix) == 0;
}

/* Where a tensor's floats live. The net is only read through this when
 * saving; the API hands out non-const pointers. */
static float *tensor_data(struct anas_net *net, const struct anas_net_tensor *t)
{
    float *base = t->trainable ? anas_net_params(net, NULL) : anas_net_state(net, NULL);
    return base + t->offset;
}

static size_t tensor_bytes(const struct anas_net_tensor *t)
{
    return is_counter(t) ? 8 : t->count * 4;
}

/* --- writing --- */

struct sbuf {
    char *p;
    size_t len, cap;
    int overflow;
};

static void put(struct sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void put(struct sbuf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= b->cap - b->len)
        b->overflow = 1;
    else
        b->len += (size_t)n;
}

/* A JSON string: quotes, backslashes and control characters escaped. */
static void put_string(struct sbuf *b, const char *s)
{
    put(b, "\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            put(b, "\\%c", c);
        else if (c < 0x20)
            put(b, "\\u%04x", c);
        else
            put(b, "%c", c);
    }
    put(b, "\"");
}

static void put_tensor(struct sbuf *b, const struct anas_net_tensor *t, size_t begin)
{
    put_string(b, t->name);
    put(b, ":{\"dtype\":\"%s\",\"shape\":[", is_counter(t) ? "I64" : "F32");
    for (int d = 0; !is_counter(t) && d < t->ndim; d++)
        put(b, "%s%d", d ? "," : "", t->dims[d]);
    put(b, "],\"data_offsets\":[%zu,%zu]},", begin, begin + tensor_bytes(t));
}

/* The header, padded with spaces to a multiple of 8. */
static int make_header(const struct anas_net *net, struct sbuf *b, struct anas_error *err)
{
    int n = anas_net_n_tensors(net);
    size_t begin = 0;

    /* A name of 95 bytes escapes to at most 6 * 95; the rest of an entry
     * (dtype, four dims, two offsets) fits in 200. */
    b->cap = (size_t)n * (6 * sizeof(((struct anas_net_tensor *)0)->name) + 200) + 64;
    b->p = anas_malloc(b->cap);
    if (!b->p)
        return anas_error_set(err, ANAS_ENOMEM, "out of memory");
    put(b, "{");
    for (int i = 0; i < n; i++) {
        const struct anas_net_tensor *t = anas_net_tensor(net, i);
        put_tensor(b, t, begin);
        begin += tensor_bytes(t);
    }
    put(b, "\"__metadata__\":{\"format\":\"pt\"}}");
    while (!b->overflow && b->len % 8)
        put(b, " ");
    if (b->overflow)
        return anas_error_set(err, ANAS_EINTERNAL, "safetensors header overflow");
    return 0;
}

static void le64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static int write_tensor(FILE *fp, const float *x, const struct anas_net_tensor *t)
{
    unsigned char buf[4 * CHUNK];

    if (is_counter(t)) {
        le64(buf, (uint64_t)(int64_t)llroundf(x[0]));
        return fwrite(buf, 8, 1, fp) == 1 ? 0 : -1;
    }
    for (size_t done = 0; done < t->count;) {
        size_t k = t->count - done < CHUNK ? t->count - done : CHUNK;
        for (size_t i = 0; i < k; i++) {
            uint32_t u;
            memcpy(&u, &x[done + i], 4);
            for (int j = 0; j < 4; j++)
                buf[4 * i + j] = (unsigned char)(u >> (8 * j));
        }
        if (fwrite(buf, 4, k, fp) != k)
            return -1;
        done += k;
    }
    return 0;
}

static int open_error(const char *path, struct anas_error *err)
{
    if (errno == ENOENT)
        return anas_error_set(err, ANAS_ENOTFOUND, "%s: no such file or directory", path);
    if (errno == EACCES)
        return anas_error_set(err, ANAS_EDENIED, "%s: permission denied", path);
    return anas_error_set(err, ANAS_EIO, "%s: cannot open", path);
}

static int write_file(const struct anas_net *net, const char *path,
                      const struct sbuf *hdr, struct anas_error *err)
{
    struct anas_net *rw = (struct anas_net *)net; /* read only; see tensor_data */
    unsigned char len[8];
    FILE *fp = fopen(path, "wb");
    int bad;

    if (!fp)
        return open_error(path, err);
    le64(len, hdr->len);
    bad = fwrite(len, 8, 1, fp) != 1 || fwrite(hdr->p, 1, hdr->len, fp) != hdr->len;
    for (int i = 0; !bad && i < anas_net_n_tensors(net); i++) {
        const struct anas_net_tensor *t = anas_net_tensor(net, i);
        bad = write_tensor(fp, tensor_data(rw, t), t) < 0;
    }
    bad |= fclose(fp) != 0;
    if (bad)
        return anas_error_set(err, ANAS_EIO, "%s: write failed", path);
    return 0;
}

int anas_net_save_safetensors(const struct anas_net *net, const char *path,
                              struct anas_error *err)
{
    struct sbuf hdr = {0};
    size_t n = path ? strlen(path) : 0;
    char *tmp;
    int rc;

    if (!net || !n)
        return anas_error_set(err, ANAS_EINVAL, "no network or no path");
    /* Write beside the target and rename: a reader never sees half a file. */
    tmp = anas_malloc(n + 5);
    if (!tmp)
        return anas_error_set(err, ANAS_ENOMEM, "out of memory");
    memcpy(tmp, path, n);
    memcpy(tmp + n, ".tmp", 5);
    rc = make_header(net, &hdr, err);
    if (rc == 0)
        rc = write_file(net, tmp, &hdr, err);
    if (rc == 0 && rename(tmp, path) != 0)
        rc = anas_error_set(err, ANAS_EIO, "%s: cannot rename into place", path);
    if (rc < 0)
        unlink(tmp);
    anas_free(hdr.p);
    anas_free(tmp);
    return rc;
}

/* --- reading --- */

/* The header being parsed, and what the file around it holds. */
struct parser {
    const char *start, *p, *end;
    const char *path;
    uint64_t data_len; /* bytes after the header */
    struct anas_error *err;
};

static int bad(struct parser *ps, const char *what)
{
    return anas_error_set(ps->err, ANAS_EFORMAT, "%s: header: %s at byte %ld", ps->path,
                          what, (long)(ps->p - ps->start));
}

static void skip_ws(struct parser *ps)
{
    while (ps->p < ps->end &&
           (*ps->p == ' ' || *ps->p == '\n' || *ps->p == '\r' || *ps->p == '\t'))
        ps->p++;
}

/* Consume `c` (after white space); 1 if it was there. */
static int eat(struct parser *ps, char c)
{
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == c) {
        ps->p++;
        return 1;
    }
    return 0;
}

static int expect(struct parser *ps, char c)
{
    char what[24];
    if (eat(ps, c))
        return 0;
    snprintf(what, sizeof what, "expected '%c'", c);
    return bad(ps, what);
}

static int hex4(const char *p, unsigned *v)
{
    *v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        *v = *v * 16 + (unsigned)d;
    }
    return 0;
}

/* One escape after the backslash; only what put_string writes plus the
 * simple ones, \u limited to ASCII (our names are). */
static int unescape(struct parser *ps, char *c)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *k;
    unsigned v;

    if (ps->p >= ps->end)
        return bad(ps, "unterminated escape");
    if (*ps->p == 'u') {
        if (ps->end - ps->p < 5 || hex4(ps->p + 1, &v) < 0 || v == 0 || v > 0x7f)
            return bad(ps, "unsupported \\u escape");
        *c = (char)v;
        ps->p += 5;
        return 0;
    }
    k = strchr(from, *ps->p);
    if (!k || !*ps->p)
        return bad(ps, "bad escape");
    *c = to[k - from];
    ps->p++;
    return 0;
}

/* A string into out (cap bytes, NUL included). */
static int parse_string(struct parser *ps, char *out, size_t cap)
{
    size_t n = 0;

    if (!eat(ps, '"'))
        return bad(ps, "expected a string");
    while (ps->p < ps->end && *ps->p != '"') {
        char c = *ps->p++;
        if ((unsigned char)c < 0x20)
            return bad(ps, "control character in a string");
        if (c == '\\' && unescape(ps, &c) < 0)
            return ANAS_EFORMAT;
        if (n + 1 >= cap)
            return bad(ps, "string too long");
        out[n++] = c;
    }
    if (ps->p >= ps->end)
        return bad(ps, "unterminated string");
    ps->p++;
    out[n] = '\0';
    return 0;
}

/* A non-negative integer below 2^53 (JSON numbers as doubles stay exact). */
static int parse_uint(struct parser *ps, uint64_t *v)
{
    int digits = 0;

    skip_ws(ps);
    *v = 0;
    while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
        *v = *v * 10 + (uint64_t)(*ps->p++ - '0');
        if (++digits > 15)
            return bad(ps, "number too large");
    }
    if (!digits)
        return bad(ps, "expected a non-negative integer");
    return 0;
}

static int parse_uints(struct parser *ps, uint64_t *v, int max, int *n)
{
    int rc;

    *n = 0;
    if ((rc = expect(ps, '[')) < 0 || eat(ps, ']'))
        return rc;
    do {
        if (*n == max)
            return bad(ps, "too many numbers");
        if ((rc = parse_uint(ps, &v[(*n)++])) < 0)
            return rc;
    } while (eat(ps, ','));
    return expect(ps, ']');
}

/* __metadata__: an object of strings, skipped. */
static int skip_metadata(struct parser *ps)
{
    char s[256];
    int rc;

    if ((rc = expect(ps, '{')) < 0 || eat(ps, '}'))
        return rc;
    do {
        if ((rc = parse_string(ps, s, sizeof s)) < 0 || (rc = expect(ps, ':')) < 0 ||
            (rc = parse_string(ps, s, sizeof s)) < 0)
            return rc;
    } while (eat(ps, ','));
    return expect(ps, '}');
}

struct entry {
    char dtype[8];
    uint64_t shape[8], off[2];
    int ndim, n_off, have; /* have: bit 0 dtype, 1 shape, 2 offsets */
};

static int parse_entry(struct parser *ps, struct entry *en)
{
    char key[32];
    int rc;

    memset(en, 0, sizeof *en);
    if ((rc = expect(ps, '{')) < 0)
        return rc;
    do {
        if ((rc = parse_string(ps, key, sizeof key)) < 0 || (rc = expect(ps, ':')) < 0)
            return rc;
        if (strcmp(key, "dtype") == 0 && !(en->have & 1)) {
            rc = parse_string(ps, en->dtype, sizeof en->dtype);
            en->have |= 1;
        } else if (strcmp(key, "shape") == 0 && !(en->have & 2)) {
            rc = parse_uints(ps, en->shape, 8, &en->ndim);
            en->have |= 2;
        } else if (strcmp(key, "data_offsets") == 0 && !(en->have & 4)) {
            rc = parse_uints(ps, en->off, 2, &en->n_off);
            en->have |= 4;
        } else {
            return bad(ps, "unknown or repeated key in a tensor");
        }
        if (rc < 0)
            return rc;
    } while (eat(ps, ','));
    if ((rc = expect(ps, '}')) < 0)
        return rc;
    if (en->have != 7 || en->n_off != 2)
        return bad(ps, "a tensor needs dtype, shape and two data_offsets");
    return 0;
}

/* Does the entry describe net tensor t, within the file? */
static int check_entry(struct parser *ps, const struct entry *en,
                       const struct anas_net_tensor *t)
{
    int counter = is_counter(t);
    int f32 = strcmp(en->dtype, "F32") == 0, i64 = strcmp(en->dtype, "I64") == 0;
    int shape_ok = en->ndim == t->ndim;
    uint64_t want = counter && i64 ? 8 : (uint64_t)t->count * 4;

    for (int d = 0; shape_ok && d < t->ndim; d++)
        shape_ok = en->shape[d] == (uint64_t)t->dims[d];
    if (counter) /* a scalar: PyTorch's [] or a one-element vector */
        shape_ok = en->ndim == 0 || (en->ndim == 1 && en->shape[0] == 1);
    if (!(f32 || (counter && i64)))
        return anas_error_set(ps->err, ANAS_EFORMAT, "%s: %s has dtype %s", ps->path,
                              t->name, en->dtype);
    if (!shape_ok)
        return anas_error_set(ps->err, ANAS_EFORMAT, "%s: %s has the wrong shape",
                              ps->path, t->name);
    if (en->off[0] > en->off[1] || en->off[1] > ps->data_len ||
        en->off[1] - en->off[0] != want)
        return anas_error_set(ps->err, ANAS_EFORMAT, "%s: %s: bad data_offsets", ps->path,
                              t->name);
    return 0;
}

static uint64_t get_le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* Read a checked tensor's bytes into dst (t->count floats). */
static int read_tensor(FILE *fp, long data_start, const struct entry *en, float *dst,
                       const struct anas_net_tensor *t, const char *path,
                       struct anas_error *err)
{
    unsigned char buf[4 * CHUNK];
    size_t n = t->count;

    if (fseek(fp, data_start + (long)en->off[0], SEEK_SET) != 0)
        return anas_error_set(err, ANAS_EIO, "%s: seek failed", path);
    if (strcmp(en->dtype, "I64") == 0) {
        if (fread(buf, 8, 1, fp) != 1)
            return anas_error_set(err, ANAS_EFORMAT, "%s: truncated", path);
        dst[0] = (float)(int64_t)get_le(buf, 8);
        return 0;
    }
    for (size_t done = 0; done < n;) {
        size_t k = n - done < CHUNK ? n - done : CHUNK;
        if (fread(buf, 4, k, fp) != k)
            return anas_error_set(err, ANAS_EFORMAT, "%s: truncated", path);
        for (size_t i = 0; i < k; i++) {
            uint32_t u = (uint32_t)get_le(buf + 4 * i, 4);
            memcpy(&dst[done + i], &u, 4);
        }
        done += k;
    }
    return 0;
}

/* The load in progress: where checked tensors are staged. */
struct loading {
    struct anas_net *net;
    FILE *fp;
    long data_start;
    float *stage_params, *stage_state; /* copies of the net's buffers */
    char *seen;                        /* (n_tensors) */
};

static int find_tensor(const struct anas_net *net, const char *name)
{
    for (int i = 0; i < anas_net_n_tensors(net); i++)
        if (strcmp(anas_net_tensor(net, i)->name, name) == 0)
            return i;
    return -1;
}

/* One "name": {...} member of the header. */
static int load_member(struct parser *ps, struct loading *ld)
{
    const struct anas_net_tensor *t;
    struct entry en;
    char name[sizeof(((struct anas_net_tensor *)0)->name)];
    int rc, i;

    if ((rc = parse_string(ps, name, sizeof name)) < 0 || (rc = expect(ps, ':')) < 0)
        return rc;
    if (strcmp(name, "__metadata__") == 0)
        return skip_metadata(ps);
    if ((rc = parse_entry(ps, &en)) < 0)
        return rc;
    i = find_tensor(ld->net, name);
    if (i < 0 || ld->seen[i])
        return anas_error_set(ps->err, ANAS_EFORMAT, "%s: %s tensor %s", ps->path,
                              i < 0 ? "unexpected" : "repeated", name);
    ld->seen[i] = 1;
    t = anas_net_tensor(ld->net, i);
    rc = check_entry(ps, &en, t);
    if (rc == 0)
        rc = read_tensor(ld->fp, ld->data_start, &en,
                         (t->trainable ? ld->stage_params : ld->stage_state) + t->offset,
                         t, ps->path, ps->err);
    return rc;
}

static int parse_header(struct parser *ps, struct loading *ld)
{
    int rc;

    if ((rc = expect(ps, '{')) < 0)
        return rc;
    if (!eat(ps, '}')) {
        do {
            if ((rc = load_member(ps, ld)) < 0)
                return rc;
        } while (eat(ps, ','));
        if ((rc = expect(ps, '}')) < 0)
            return rc;
    }
    skip_ws(ps);
    if (ps->p != ps->end)
        return bad(ps, "trailing bytes");
    for (int i = 0; i < anas_net_n_tensors(ld->net); i++)
        if (!ld->seen[i])
            return anas_error_set(ps->err, ANAS_EFORMAT, "%s: missing tensor %s",
                                  ps->path, anas_net_tensor(ld->net, i)->name);
    return 0;
}

/* Read the length prefix and the header text (NUL-terminated). */
static int read_header(FILE *fp, const char *path, char **out, uint64_t *len,
                       uint64_t *data_len, struct anas_error *err)
{
    unsigned char b[8];
    struct stat st;
    uint64_t size;

    if (fstat(fileno(fp), &st) != 0)
        return anas_error_set(err, ANAS_EIO, "%s: cannot stat", path);
    size = (uint64_t)st.st_size;
    if (fread(b, 8, 1, fp) != 1)
        return anas_error_set(err, ANAS_EFORMAT, "%s: too short for a safetensors file",
                              path);
    *len = get_le(b, 8);
    if (*len < 2 || *len > MAX_HEADER || *len > size - 8)
        return anas_error_set(err, ANAS_EFORMAT, "%s: header length %llu does not fit",
                              path, (unsigned long long)*len);
    *data_len = size - 8 - *len;
    *out = anas_malloc(*len + 1);
    if (!*out)
        return anas_error_set(err, ANAS_ENOMEM, "out of memory for the header");
    if (fread(*out, 1, *len, fp) != *len)
        return anas_error_set(err, ANAS_EFORMAT, "%s: truncated header", path);
    (*out)[*len] = '\0';
    return 0;
}

static int stage(struct loading *ld, struct anas_error *err)
{
    size_t np, ns;
    const float *p = anas_net_params(ld->net, &np), *s = anas_net_state(ld->net, &ns);

    ld->stage_params = anas_malloc((np ? np : 1) * sizeof(float));
    ld->stage_state = anas_malloc((ns ? ns : 1) * sizeof(float));
    ld->seen = anas_calloc((size_t)anas_net_n_tensors(ld->net) + 1, 1);
    if (!ld->stage_params || !ld->stage_state || !ld->seen)
        return anas_error_set(err, ANAS_ENOMEM, "out of memory");
    if (np)
        memcpy(ld->stage_params, p, np * sizeof(float));
    if (ns)
        memcpy(ld->stage_state, s, ns * sizeof(float));
    return 0;
}

static void commit(struct loading *ld)
{
    size_t np, ns;
    float *p = anas_net_params(ld->net, &np), *s = anas_net_state(ld->net, &ns);

    if (np)
        memcpy(p, ld->stage_params, np * sizeof(float));
    if (ns)
        memcpy(s, ld->stage_state, ns * sizeof(float));
}

int anas_net_load_safetensors(struct anas_net *net, const char *path,
                              struct anas_error *err)
{
    struct loading ld = {.net = net};
    struct parser ps = {.path = path, .err = err};
    uint64_t len = 0;
    char *hdr = NULL;
    int rc;

    if (!net || !path)
        return anas_error_set(err, ANAS_EINVAL, "no network or no path");
    ld.fp = fopen(path, "rb");
    if (!ld.fp)
        return open_error(path, err);
    rc = read_header(ld.fp, path, &hdr, &len, &ps.data_len, err);
    if (rc == 0)
        rc = stage(&ld, err);
    if (rc == 0) {
        ld.data_start = 8 + (long)len;
        ps.start = ps.p = hdr;
        ps.end = hdr + len;
        rc = parse_header(&ps, &ld);
    }
    if (rc == 0)
        commit(&ld);
    fclose(ld.fp);
    anas_free(hdr);
    anas_free(ld.stage_params);
    anas_free(ld.stage_state);
    anas_free(ld.seen);
    return rc;
}
