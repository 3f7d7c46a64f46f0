/*
 * train-safetensors.c - a trained net saved and loaded into a fresh one
 * gives the same weights, state and outputs; the file has the documented
 * layout (checked here byte by byte, and by Python's json module when
 * python3 is installed); truncated, corrupted and mismatched files are
 * ANAS_EFORMAT and leave the net untouched; nothing crashes on any
 * single-byte corruption of the header.
 */
#include "config.h"

#include "eval/train.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "tap.h"

static char dir[256], path[512], bad_path[512];

/* A layer name that needs JSON escaping, to exercise both directions. */
#define ODD_NAME "fc \"final\"\\1"

static struct anas_netdef *cnn(int out)
{
    struct anas_netdef *def = anas_netdef_new(1, 8, 8);
    int x = anas_netdef_conv2d(def, 0, 4, 3, 1, 1, 0, "features.0");
    x = anas_netdef_batchnorm(def, x, "features.1");
    x = anas_netdef_act(def, x, ANAS_OP_RELU, "features.2");
    x = anas_netdef_pool(def, x, ANAS_OP_MAXPOOL, 2, 2, 0, "features.3");
    x = anas_netdef_flatten(def, x, "flat");
    anas_netdef_linear(def, x, out, 1, ODD_NAME);
    return def;
}

static struct anas_net *make_net(int out, uint64_t seed)
{
    struct anas_netdef *def = cnn(out);
    struct anas_net *net = anas_net_new(def, 64, NULL);
    struct anas_rng rng;

    anas_rng_seed(&rng, seed);
    if (net)
        anas_net_init(net, &rng);
    anas_netdef_free(def);
    return net;
}

static int same_buffers(struct anas_net *a, struct anas_net *b)
{
    size_t np, nq, ns, nt;
    const float *p = anas_net_params(a, &np), *q = anas_net_params(b, &nq);
    const float *s = anas_net_state(a, &ns), *t = anas_net_state(b, &nt);

    return np == nq && ns == nt && memcmp(p, q, np * sizeof *p) == 0 &&
           memcmp(s, t, ns * sizeof *s) == 0;
}

static int same_outputs(struct anas_net *a, struct anas_net *b,
                        const struct anas_dataset *d)
{
    static float first[64 * 3];
    const float *out;

    anas_net_forward(a, d->x, 64, 0, NULL, &out);
    memcpy(first, out, sizeof first);
    anas_net_forward(b, d->x, 64, 0, NULL, &out);
    return memcmp(first, out, sizeof first) == 0;
}

static unsigned char *slurp(const char *p, size_t *len)
{
    FILE *fp = fopen(p, "rb");
    unsigned char *b = NULL;
    long n;

    if (fp && fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) > 0) {
        b = malloc((size_t)n);
        rewind(fp);
        *len = b ? fread(b, 1, (size_t)n, fp) : 0;
    }
    if (fp)
        fclose(fp);
    return b;
}

static void spit(const char *p, const unsigned char *b, size_t len)
{
    FILE *fp = fopen(p, "wb");
    if (!fp || fwrite(b, 1, len, fp) != len || fclose(fp) != 0)
        fprintf(stderr, "cannot write %s\n", p);
}

static uint64_t le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void layout(const unsigned char *b, size_t len, struct anas_net *net)
{
    uint64_t n = len >= 8 ? le64(b) : 0, data = 0;
    char *hdr = n && 8 + n <= len ? strndup((const char *)b + 8, n) : NULL;

    for (int i = 0; i < anas_net_n_tensors(net); i++)
        data += anas_net_tensor(net, i)->count * 4;
    data += 4; /* the one num_batches_tracked grows from 4 to 8 bytes */
    ok(hdr && n % 8 == 0 && 8 + n + data == len,
       "8-byte length, header padded to 8, then %llu data bytes",
       (unsigned long long)data);
    while (hdr && n > 0 && hdr[n - 1] == ' ')
        hdr[--n] = '\0';
    ok(hdr && hdr[0] == '{' && hdr[n - 1] == '}',
       "the header is a JSON object padded with spaces");
    ok(hdr && strstr(hdr, "\"features.0.weight\":{\"dtype\":\"F32\",\"shape\":[4,1,3,3],"
                          "\"data_offsets\":[0,144]}"),
       "the first tensor: conv weight (4,1,3,3) at [0,144)");
    ok(hdr &&
           strstr(hdr,
                  "\"features.1.num_batches_tracked\":{\"dtype\":\"I64\",\"shape\":[],"),
       "num_batches_tracked is an I64 scalar");
    ok(hdr && strstr(hdr, "\"fc \\\"final\\\"\\\\1.weight\""), "names are JSON-escaped");
    ok(hdr && strstr(hdr, "\"__metadata__\":{\"format\":\"pt\"}"), "metadata format pt");
    free(hdr);
}

/* Python's json module reads the header and checks every offset. */
static const char *const checker =
    "import json, struct, sys\n"
    "b = open(sys.argv[1], 'rb').read()\n"
    "n = struct.unpack('<Q', b[:8])[0]\n"
    "h = json.loads(b[8:8 + n])\n"
    "assert h.pop('__metadata__') == {'format': 'pt'}\n"
    "end, size = 0, {'F32': 4, 'I64': 8}\n"
    "for k, v in sorted(h.items(), key=lambda kv: kv[1]['data_offsets'][0]):\n"
    "    s, e = v['data_offsets']\n"
    "    numel = 1\n"
    "    for d in v['shape']: numel *= d\n"
    "    assert s == end and e - s == numel * size[v['dtype']], k\n"
    "    end = e\n"
    "assert 8 + n + end == len(b)\n"
    "t = h['features.1.num_batches_tracked']\n"
    "o = 8 + n + t['data_offsets'][0]\n"
    "assert struct.unpack('<q', b[o:o + 8])[0] == int(sys.argv[2]), 'count'\n"
    "assert 'fc \"final\"\\\\1.bias' in h\n";

static void python_check(long batches)
{
    char script[600], cmd[1400];
    FILE *fp;

    if (system("python3 -c 'import json' >/dev/null 2>&1") != 0) {
        ok(1, "# SKIP python3 is not installed");
        return;
    }
    snprintf(script, sizeof script, "%s/check.py", dir);
    fp = fopen(script, "w");
    if (fp) {
        fputs(checker, fp);
        fclose(fp);
    }
    snprintf(cmd, sizeof cmd, "python3 '%s' '%s' %ld", script, path, batches);
    ok(system(cmd) == 0, "python's json module accepts the header and the offsets");
}

/* Load `b` (len bytes) into net; the net must be left as it was on error. */
static int try_load(struct anas_net *net, struct anas_net *ref, const unsigned char *b,
                    size_t len, struct anas_error *err)
{
    int rc;

    spit(bad_path, b, len);
    rc = anas_net_load_safetensors(net, bad_path, err);
    if (rc < 0 && !same_buffers(net, ref))
        return 1000; /* partly loaded: never acceptable */
    return rc;
}

static void corrupt(const unsigned char *good, size_t len)
{
    struct anas_net *net = make_net(3, 99), *pristine = make_net(3, 99);
    struct anas_error err = {0};
    unsigned char *b = malloc(len + 16);
    uint64_t n = le64(good);
    size_t cuts[] = {0, 4, 8, 12, 8 + n / 2, 8 + n, len - 1};
    int all_format = 1, survived = 1, changed = 0;
    static const char poison[] = {'}', '{', '"', ':', ',', '9', '[', ']', '\\', 'x', 0};

    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
        memcpy(b, good, len);
        all_format &= try_load(net, pristine, b, cuts[i], &err) == ANAS_EFORMAT;
    }
    ok(all_format, "every truncation is ANAS_EFORMAT and loads nothing");

    memcpy(b, good, len);
    b[7] = 0x7f; /* a header length of about 9e18 */
    is_int(try_load(net, pristine, b, len, &err), ANAS_EFORMAT, "a huge header length");
    memcpy(b, good, len);
    b[0] = (unsigned char)(b[0] + 8); /* the header runs into the data */
    is_int(try_load(net, pristine, b, len, &err), ANAS_EFORMAT,
           "a header length too long");

    /* Every header byte replaced by each poison: an error or, if the JSON
     * still means the same, a good load; never a crash or a partial load. */
    for (size_t i = 8; i < 8 + n; i++) {
        for (size_t k = 0; k < sizeof poison; k++) {
            int rc;
            if (good[i] == (unsigned char)poison[k])
                continue;
            memcpy(b, good, len);
            b[i] = (unsigned char)poison[k];
            rc = try_load(net, pristine, b, len, &err);
            survived &= rc == 0 || rc == ANAS_EFORMAT;
            if (rc == 0) { /* the same meaning: start again from a pristine net */
                changed++;
                anas_net_free(net);
                net = make_net(3, 99);
            }
        }
    }
    ok(survived, "%llu x %zu corrupted headers: each EFORMAT or loaded whole (%d loaded)",
       (unsigned long long)n, sizeof poison, changed);
    free(b);
    anas_net_free(net);
    anas_net_free(pristine);
}

static void mismatched(void)
{
    struct anas_net *other = make_net(5, 1);
    struct anas_error err = {0};

    ok(anas_net_load_safetensors(other, path, &err) == ANAS_EFORMAT &&
           strstr(err.msg, "shape"),
       "a net with 5 outputs refuses the file: %s", err.msg);
    anas_net_free(other);
    ok(anas_net_load_safetensors(other = make_net(3, 1), "/nonexistent/x.safetensors",
                                 &err) == ANAS_ENOTFOUND,
       "a missing file is ANAS_ENOTFOUND");
    ok(anas_net_save_safetensors(other, "/nonexistent/x.safetensors", &err) ==
           ANAS_ENOTFOUND,
       "saving into a missing directory is ANAS_ENOTFOUND");
    anas_net_free(other);
}

int main(void)
{
    static struct anas_train_result res;
    struct anas_dataset *train = anas_data_synthetic(300, 1, 8, 8, 3, 1, NULL);
    struct anas_dataset *test = anas_data_synthetic(64, 1, 8, 8, 3, 2, NULL);
    struct anas_net *net = make_net(3, 1), *fresh = make_net(3, 2);
    struct anas_train_spec ts;
    struct anas_error err = {0};
    const char *base = getenv("TMPDIR");
    unsigned char *file;
    size_t len = 0;
    int rc;

    snprintf(dir, sizeof dir, "%s/anas-st-XXXXXX", base && *base ? base : "/tmp");
    if (!train || !test || !net || !fresh || !mkdtemp(dir))
        skip_all("cannot set up");
    snprintf(path, sizeof path, "%s/net.safetensors", dir);
    snprintf(bad_path, sizeof bad_path, "%s/bad.safetensors", dir);
    plan(19);
    anas_train_spec_init(&ts);
    ts.batch_size = 32;
    rc = anas_train_run(net, train, test, &ts, NULL, NULL, &res, &err);
    rc = rc ? rc : anas_net_save_safetensors(net, path, &err);
    is_int(rc, 0, "train one epoch and save (%s)", rc ? err.msg : "ok");
    ok(!same_buffers(net, fresh), "a fresh net differs");
    rc = anas_net_load_safetensors(fresh, path, &err);
    is_int(rc, 0, "load into the fresh net (%s)", rc ? err.msg : "ok");
    ok(same_buffers(net, fresh), "weights and batch norm state are identical");
    ok(same_outputs(net, fresh, test), "inference outputs are identical");
    file = slurp(path, &len);
    layout(file, len, net);
    python_check((300 + 31) / 32);
    if (file)
        corrupt(file, len);
    mismatched();
    free(file);
    unlink(path);
    unlink(bad_path);
    {
        char script[600];
        snprintf(script, sizeof script, "%s/check.py", dir);
        unlink(script);
    }
    rmdir(dir);
    anas_net_free(net);
    anas_net_free(fresh);
    anas_data_free(train);
    anas_data_free(test);
    return done();
}
