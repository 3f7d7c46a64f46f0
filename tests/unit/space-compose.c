/*
 * space-compose.c - composite spaces (a base space plus training-recipe
 * choices): the table, names and interning, lookup by name, size,
 * sampling, validation, canonical text and hash, the base's network,
 * analytic metrics and features through the composite, argument errors,
 * concurrent composing, anas_eval_apply_recipe and the train evaluator
 * honouring a configuration's recipe, and the limit on composites (last:
 * it fills the process-wide list).
 */
#include "config.h"

#include "space/space.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "eval/eval.h"
#include "space-check.h"
#include "tap.h"

static const double lrs[] = {0.01, 0.03, 0.1};
static const double batches[] = {32, 64};
static const char *const lr_bs[] = {"train.lr", "train.batch_size"};
static const int lr_bs_n[] = {3, 2};
static const double *const lr_bs_v[] = {lrs, batches};

static const struct anas_space *find(const char *name)
{
    const struct anas_space *s = anas_space_find(name);
    if (!s)
        printf("# no space %s\n", name);
    return s;
}

static const struct anas_space *lr_bs_of(const struct anas_space *base)
{
    struct anas_error err = {0};
    const struct anas_space *s = anas_space_compose(base, 2, lr_bs, lr_bs_n, lr_bs_v, &err);
    if (!s)
        printf("# compose %s: %s\n", anas_space_name(base), err.msg);
    return s;
}

static int hex_suffix(const char *name, const char *base)
{
    size_t n = strlen(base);
    if (strncmp(name, base, n) != 0 || strncmp(name + n, "+train.", 7) != 0)
        return 0;
    name += n + 7;
    return strlen(name) == 8 && strspn(name, "0123456789abcdef") == 8;
}

static void table(const struct anas_space *base, const struct anas_space *s)
{
    int nb = anas_space_n_hp(base), same = 1;
    const struct anas_hp *lr = anas_space_hp(s, nb), *bs = anas_space_hp(s, nb + 1);

    ok(hex_suffix(anas_space_name(s), anas_space_name(base)), "named %s: <base>+train.<8 hex>",
       anas_space_name(s));
    ok(strlen(anas_space_name(s)) < 32, "the name fits the store's 32 bytes");
    is_int(anas_space_n_hp(s), nb + 2, "the base's hyperparameters plus two");
    for (int i = 0; i < nb; i++)
        same &= anas_space_hp(s, i)->name == anas_space_hp(base, i)->name &&
                anas_space_hp(s, i)->kind == anas_space_hp(base, i)->kind;
    ok(same, "the base's hyperparameters first, in order");
    ok(lr && bs && strcmp(lr->name, "train.lr") == 0 && strcmp(bs->name, "train.batch_size") == 0,
       "then train.lr and train.batch_size, in the order given");
    ok(lr && lr->kind == ANAS_HP_CHOICE && lr->n_choices == 3 && lr->choices[1] == 0.03 &&
           lr->lo == 0.01 && lr->hi == 0.1 && !lr->is_int,
       "train.lr: a real CHOICE of 3, lo and hi its extremes");
    ok(bs && bs->kind == ANAS_HP_CHOICE && bs->n_choices == 2 && bs->is_int,
       "train.batch_size: an integer CHOICE of 2");
    is_int(anas_space_hp_index(s, "train.lr"), nb, "hp_index finds train.lr");
    ok(anas_space_base(s) == base && anas_space_base(base) == base,
       "anas_space_base: the base of the composite, a registered space itself");
    {
        struct anas_shape a = anas_space_default_shape(s), b = anas_space_default_shape(base);
        ok(memcmp(&a, &b, sizeof a) == 0, "the default shape is the base's");
    }
}

static void interning(const struct anas_space *base, const struct anas_space *s)
{
    double lrs2[] = {0.01, 0.03, 0.1}, bs2[] = {32, 64}, lrs3[] = {0.1, 0.03, 0.01};
    double zero[] = {0, 0.9}, negzero[] = {-0.0, 0.9};
    const double *v2[] = {lrs2, bs2}, *v3[] = {lrs3, bs2};
    const char *const only_lr[] = {"train.lr"}, *const bs_lr[] = {"train.batch_size", "train.lr"};
    const char *const mom[] = {"train.momentum"};
    const int n3[] = {3}, n2[] = {2}, n_bs_lr[] = {2, 3};
    const double *v_bs_lr[] = {bs2, lrs2}, *vz[] = {zero}, *vnz[] = {negzero};
    const struct anas_space *a, *b;
    int count = anas_space_count();

    ok(anas_space_compose(base, 2, lr_bs, lr_bs_n, v2, NULL) == s,
       "equal dimensions in other arrays give the same pointer (interned)");
    a = anas_space_compose(base, 2, lr_bs, lr_bs_n, v3, NULL);
    ok(a && a != s && strcmp(anas_space_name(a), anas_space_name(s)) != 0,
       "choices in another order: another composite, another name");
    a = anas_space_compose(base, 1, only_lr, n3, v2, NULL);
    ok(a && a != s, "fewer dimensions: another composite");
    a = anas_space_compose(base, 2, bs_lr, n_bs_lr, v_bs_lr, NULL);
    ok(a && a != s, "dimensions in another order: another composite");
    a = anas_space_compose(base, 1, mom, n2, vz, NULL);
    b = anas_space_compose(base, 1, mom, n2, vnz, NULL);
    ok(a && a == b, "-0 and 0 are one choice: the same composite");
    a = anas_space_compose(anas_space_find("lenet"), 2, lr_bs, lr_bs_n, lr_bs_v, NULL);
    ok(a && a != s && hex_suffix(anas_space_name(a), "lenet"),
       "the same dimensions on another base: another composite");
    ok(anas_space_find(anas_space_name(s)) == s, "anas_space_find finds a composite by name");
    ok(anas_space_find("resnet+train.00000000") == NULL, "an unknown composite name: NULL");
    is_int(anas_space_count(), count, "composites are not listed in the registry");
}

static void size(void)
{
    const struct anas_space *mlp = find("mlp"), *resnet = find("resnet");
    const struct anas_space *cm = lr_bs_of(mlp), *cr = lr_bs_of(resnet);

    is_int(anas_space_size(cm), anas_space_size(mlp) * 6, "mlp+train: size 7500 x 3 x 2");
    ok(anas_space_size(resnet) < UINT64_MAX / 6 &&
           anas_space_size(cr) == anas_space_size(resnet) * 6,
       "resnet+train: the base's size x 6");
}

/* 600 draws: every value legal, train dims always active, each lr drawn
 * about 200 times (binomial sd 11.5: 5 sd is 58). */
static void sampling(const struct anas_space *base, const struct anas_space *s)
{
    struct anas_rng rng;
    struct anas_config cfg, b;
    int nb = anas_space_n_hp(base), legal = 1, active = 1, base_valid = 1, count[3] = {0};
    const int n = 600;

    anas_rng_seed(&rng, 7);
    for (int k = 0; k < n; k++) {
        if (anas_space_sample(s, &rng, &cfg) < 0 || cfg.space != s) {
            legal = 0;
            break;
        }
        legal &= config_legal(s, &cfg) && anas_space_validate(s, &cfg, NULL) == 0;
        active &= anas_space_is_active(s, &cfg, nb) && anas_space_is_active(s, &cfg, nb + 1);
        anas_config_init(&b, base);
        memcpy(b.v, cfg.v, (size_t)nb * sizeof b.v[0]);
        base_valid &= anas_space_validate(base, &b, NULL) == 0;
        for (int j = 0; j < 3; j++)
            count[j] += cfg.v[nb] == lrs[j];
    }
    ok(legal, "%d samples are legal and validate", n);
    ok(active, "train dimensions are active whatever M is");
    ok(base_valid, "the base part of each sample is a valid base configuration");
    ok(count[0] + count[1] + count[2] == n, "train.lr is always one of its choices");
    for (int j = 0; j < 3; j++)
        is_near(count[j], n / 3.0, 58, "lr %g drawn about n/3 times", lrs[j]);
}

/* A fixed resnet configuration (one group) with lr and batch size. */
static void fixed(const struct anas_space *s, struct anas_config *cfg, double lr, double bs)
{
    static const struct {
        const char *name;
        double v;
    } arch[] = {{"out_channel0", 8}, {"M", 1},          {"R1", 1},
                {"convblock1", 1},   {"widenfact1", 0.7}, {"B1", 2}};

    anas_config_init(cfg, s);
    for (size_t i = 0; i < sizeof arch / sizeof arch[0]; i++)
        cfg->v[anas_space_hp_index(s, arch[i].name)] = arch[i].v;
    cfg->v[anas_space_hp_index(s, "train.lr")] = lr;
    cfg->v[anas_space_hp_index(s, "train.batch_size")] = bs;
}

static void validation(const struct anas_space *s)
{
    struct anas_config cfg, before;
    struct anas_error err = {0};
    int rc;

    fixed(s, &cfg, 0.05, 32);
    before = cfg;
    rc = anas_space_validate(s, &cfg, &err);
    is_int(rc, ANAS_ERANGE, "an lr outside the choices is out of range");
    is_str(err.field, "train.lr", "... naming train.lr");
    ok(memcmp(&before, &cfg, sizeof cfg) == 0, "... and leaving the configuration as it was");
    fixed(s, &cfg, 0.03, 48);
    is_int(anas_space_validate(s, &cfg, NULL), ANAS_ERANGE, "a batch size outside: ERANGE");
    fixed(s, &cfg, 0.03, 64);
    is_int(anas_space_validate(s, &cfg, NULL), 0, "lr 0.03 with batch 64 validates");
}

static void canonical(const struct anas_space *s)
{
    struct anas_shape shape = {1, 16, 16, 4};
    struct anas_config a, b, c;
    char text[4096], ha[ANAS_HASH_LEN + 1], hb[ANAS_HASH_LEN + 1], hc[ANAS_HASH_LEN + 1];
    const char *tail = ";train.lr=0.03;train.batch_size=64";
    int len;

    fixed(s, &a, 0.03, 64);
    fixed(s, &b, 0.1, 64);
    c = a;
    len = anas_space_canonical(s, &shape, &a, text, sizeof text);
    ok(len > 0 && strncmp(text, anas_space_name(s), strlen(anas_space_name(s))) == 0,
       "the canonical text starts with the composite's name");
    ok(len > (int)strlen(tail) && strcmp(text + len - strlen(tail), tail) == 0,
       "and ends with the recipe: %s", tail);
    ok(anas_space_hash(s, &shape, &a, ha) == 0 && anas_space_hash(s, &shape, &b, hb) == 0 &&
           anas_space_hash(s, &shape, &c, hc) == 0,
       "hashes");
    ok(strcmp(ha, hb) != 0, "the same network with another lr: another hash");
    is_str(ha, hc, "the same network and recipe: the same hash");
}

static void network(const struct anas_space *base, const struct anas_space *s)
{
    struct anas_shape shape = {1, 16, 16, 4};
    struct anas_config cfg, b;
    struct anas_netdef *d1 = NULL, *d2 = NULL;
    float f1[64], f2[64];
    int n1, n2, nb = anas_space_n_hp(base);

    fixed(s, &cfg, 0.1, 32);
    anas_config_init(&b, base);
    memcpy(b.v, cfg.v, (size_t)nb * sizeof b.v[0]);
    ok(build_agrees(s, &shape, &cfg, 4, 1, 1, "resnet+train"),
       "the base's build works on a composite configuration (params = analytic)");
    ok(anas_space_build(s, &shape, &cfg, &d1, NULL) == 0 &&
           anas_space_build(base, &shape, &b, &d2, NULL) == 0 && d1 && d2 &&
           anas_netdef_n_nodes(d1) == anas_netdef_n_nodes(d2) &&
           anas_netdef_n_params(d1) == anas_netdef_n_params(d2),
       "the same network as the base configuration builds");
    anas_netdef_free(d1);
    anas_netdef_free(d2);
    is_near(analytic(s, &shape, &cfg, "params"), analytic(base, &shape, &b, "params"), 0,
            "the same analytic params");
    is_near(analytic(s, &shape, &cfg, "nb_convs"), analytic(base, &shape, &b, "nb_convs"), 0,
            "and the base's own metrics (nb_convs)");
    n1 = anas_space_features(s, &cfg, f1, 64);
    n2 = anas_space_features(base, &b, f2, 64);
    ok(n1 == n2 && n1 > 0 && memcmp(f1, f2, (size_t)n1 * sizeof f1[0]) == 0,
       "the features are the base's (%d values, no recipe)", n1);
    fixed(s, &cfg, 0.1, 32);
    is_int(anas_space_features(lr_bs_of(find("lenet")), &cfg, f1, 64), ANAS_EUNSUPPORTED,
           "a base without features: none through the composite either");
}

static void errors(const struct anas_space *base, const struct anas_space *s)
{
    struct anas_error err = {0};
    const char *const clash[] = {"M"}, *const twice[] = {"train.lr", "train.lr"};
    const char *const empty[] = {""};
    const char *const longname[] = {"train.a_name_of_more_than_31_chars"};
    double nan_v[] = {0.1, NAN}, rep[] = {0.1, 0.2, 0.1};
    const double *vn[] = {nan_v}, *vr[] = {rep}, *v2[] = {lrs, lrs};
    const int n2[] = {2}, n3[] = {3}, n0[] = {0}, n33[] = {3, 3}, nbig[] = {65};

    ok(!anas_space_compose(NULL, 2, lr_bs, lr_bs_n, lr_bs_v, &err) && err.code == ANAS_EINVAL,
       "no base: EINVAL");
    ok(!anas_space_compose(s, 2, lr_bs, lr_bs_n, lr_bs_v, &err) && err.code == ANAS_EINVAL,
       "a composite as base: EINVAL");
    ok(!anas_space_compose(base, 0, lr_bs, lr_bs_n, lr_bs_v, &err) && err.code == ANAS_EINVAL,
       "no dimensions: EINVAL");
    ok(!anas_space_compose(base, ANAS_SPACE_MAX_DIMS + 1, lr_bs, lr_bs_n, lr_bs_v, &err) &&
           err.code == ANAS_EINVAL,
       "more than %d dimensions: EINVAL", ANAS_SPACE_MAX_DIMS);
    ok(!anas_space_compose(base, 1, clash, n3, lr_bs_v, &err) && err.code == ANAS_EINVAL &&
           strcmp(err.field, "M") == 0,
       "a base hyperparameter's name: EINVAL naming it");
    ok(!anas_space_compose(base, 2, twice, n33, v2, &err) && err.code == ANAS_EINVAL &&
           strcmp(err.field, "train.lr") == 0,
       "a name twice: EINVAL");
    ok(!anas_space_compose(base, 1, empty, n3, lr_bs_v, &err) && err.code == ANAS_EINVAL,
       "an empty name: EINVAL");
    ok(!anas_space_compose(base, 1, longname, n3, lr_bs_v, &err) && err.code == ANAS_EINVAL,
       "a name of 32 characters or more: EINVAL");
    ok(!anas_space_compose(base, 1, lr_bs, n0, lr_bs_v, &err) && err.code == ANAS_ERANGE &&
           strcmp(err.field, "train.lr") == 0,
       "no choices: ERANGE naming the dimension");
    ok(!anas_space_compose(base, 1, lr_bs, nbig, lr_bs_v, &err) && err.code == ANAS_ERANGE,
       "more than %d choices: ERANGE", ANAS_SPACE_MAX_CHOICES);
    ok(!anas_space_compose(base, 1, lr_bs, n2, vn, &err) && err.code == ANAS_EINVAL,
       "a NaN choice: EINVAL");
    ok(!anas_space_compose(base, 1, lr_bs, n3, vr, &err) && err.code == ANAS_EINVAL,
       "a repeated choice: EINVAL");
}

struct racer {
    const struct anas_space *base, *got;
};

static void *race(void *arg)
{
    struct racer *r = arg;
    static const double m[] = {0, 0.5, 0.9};
    static const double *const v[] = {m};
    static const char *const names[] = {"train.momentum"};
    static const int n[] = {3};

    r->got = anas_space_compose(r->base, 1, names, n, v, NULL);
    return NULL;
}

static void threads(const struct anas_space *base)
{
    pthread_t t[4];
    struct racer r[4];
    int same = 1;

    for (int i = 0; i < 4; i++) {
        r[i] = (struct racer){base, NULL};
        pthread_create(&t[i], NULL, race, &r[i]);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 4; i++)
        same &= r[i].got && r[i].got == r[0].got;
    ok(same, "four threads composing at once get one composite");
}

/* lenet with all five recipe dimensions. */
static const struct anas_space *five(void)
{
    static const double ep[] = {1, 3}, bs[] = {16, 64}, lr[] = {0.01, 0.1};
    static const double mo[] = {0, 0.9}, wd[] = {0, 5e-4};
    static const char *const names[] = {"train.epochs", "train.batch_size", "train.lr",
                                        "train.momentum", "train.weight_decay"};
    static const int n[] = {2, 2, 2, 2, 2};
    static const double *const v[] = {ep, bs, lr, mo, wd};

    return anas_space_compose(find("lenet"), 5, names, n, v, NULL);
}

static void recipe(void)
{
    const struct anas_space *s = five(), *lenet = find("lenet");
    static const double bad_ep[] = {1.5, 2};
    static const double *const vb[] = {bad_ep};
    static const char *const foo[] = {"train.foo"}, *const ep[] = {"train.epochs"};
    static const int n2[] = {2};
    struct anas_train_spec ts, want;
    struct anas_config cfg;
    int nb;

    if (!s) {
        ok(0, "lenet with five recipe dimensions");
        return;
    }
    nb = anas_space_n_hp(lenet);
    anas_config_init(&cfg, s);
    cfg.v[nb] = 3, cfg.v[nb + 1] = 16, cfg.v[nb + 2] = 0.1, cfg.v[nb + 3] = 0.9;
    cfg.v[nb + 4] = 5e-4;
    anas_train_spec_init(&ts);
    ts.sched.kind = ANAS_SCHED_COSINE;
    ts.eval_batch = 100;
    want = ts;
    is_int(anas_eval_apply_recipe(&cfg, &ts), 0, "apply_recipe: 0");
    ok(ts.epochs == 3 && ts.sched.t_max == 3 && ts.batch_size == 16,
       "epochs 3 (and the cosine t_max), batch_size 16");
    ok(ts.optim.lr == 0.1f && ts.optim.momentum == 0.9f && ts.optim.weight_decay == 5e-4f,
       "lr 0.1, momentum 0.9, weight_decay 5e-4");
    want.epochs = 3, want.sched.t_max = 3, want.batch_size = 16;
    want.optim.lr = 0.1f, want.optim.momentum = 0.9f, want.optim.weight_decay = 5e-4f;
    ok(memcmp(&ts, &want, sizeof ts) == 0, "nothing else changed");
    anas_config_init(&cfg, lenet);
    ts = want;
    ok(anas_eval_apply_recipe(&cfg, &ts) == 0 && memcmp(&ts, &want, sizeof ts) == 0,
       "a plain space's configuration leaves the recipe alone");
    anas_config_init(&cfg, anas_space_compose(lenet, 1, foo, n2, lr_bs_v, NULL));
    is_int(anas_eval_apply_recipe(&cfg, &ts), ANAS_EINVAL, "an unknown train.foo: EINVAL");
    anas_config_init(&cfg, anas_space_compose(lenet, 1, ep, n2, vb, NULL));
    cfg.v[nb] = 1.5;
    is_int(anas_eval_apply_recipe(&cfg, &ts), ANAS_EINVAL, "1.5 epochs: EINVAL");
    cfg.space = NULL;
    is_int(anas_eval_apply_recipe(&cfg, &ts), ANAS_EINVAL, "a configuration of no space: EINVAL");
}

/* Train an mlp on 64 blobs: the configuration's epochs and batch size
 * decide the batches run, its lr the loss reached. */
static void evaluator(void)
{
    static const double ep[] = {1, 2}, bs[] = {16, 64}, lr[] = {1e-6, 0.5};
    static const char *const names[] = {"train.epochs", "train.batch_size", "train.lr"};
    static const int n[] = {2, 2, 2};
    static const double *const v[] = {ep, bs, lr};
    const struct anas_space *mlp = find("mlp");
    const struct anas_space *s = anas_space_compose(mlp, 3, names, n, v, NULL);
    struct anas_dataset *train = anas_data_synthetic(64, 1, 8, 8, 4, 1, NULL);
    struct anas_dataset *test = anas_data_synthetic(32, 1, 8, 8, 4, 2, NULL);
    struct anas_shape shape = {1, 8, 8, 4};
    struct anas_eval_spec spec;
    struct anas_train_progress prog;
    struct anas_metrics m;
    struct anas_config cfg;
    struct anas_error err = {0};
    double loss[2] = {0, 0};
    long total[2] = {0, 0};
    int rc = 0;

    anas_eval_spec_init(&spec, ANAS_EVAL_TRAIN, s, &shape);
    spec.train_set = train;
    spec.test_set = test;
    anas_train_spec_init(&spec.train);
    for (int k = 0; k < 2 && rc == 0; k++) {
        anas_config_init(&cfg, s);
        cfg.v[0] = 1, cfg.v[1] = 32, cfg.v[5] = 0; /* depth 1, width 32, relu */
        cfg.v[6] = ep[k], cfg.v[7] = bs[k], cfg.v[8] = lr[k];
        memset(&prog, 0, sizeof prog);
        rc = anas_eval_train(&spec, &cfg, NULL, &prog, &m, NULL, &err);
        total[k] = atomic_load(&prog.batches_total);
        anas_metrics_get(&m, "train_loss", &loss[k]);
    }
    if (rc < 0)
        printf("# anas_eval_train: %s\n", err.msg);
    is_int(rc, 0, "the train evaluator trains composite configurations");
    is_int(total[0], 4, "1 epoch of batches of 16: 4 batches");
    is_int(total[1], 2, "2 epochs of batches of 64: 2 batches");
    ok(loss[1] < loss[0] - 0.05, "lr 0.5 learns, lr 1e-6 barely (train loss %.3f vs %.3f)",
       loss[1], loss[0]);
    anas_data_free(train);
    anas_data_free(test);
}

/* Fill the list: the composites made so far are kept, then ELIMIT. */
static void limit(const struct anas_space *s)
{
    static const char *const names[] = {"train.epochs"};
    static const int n[] = {2};
    struct anas_error err = {0};
    int made = 0, failed_at = -1;

    for (int k = 0; k < ANAS_SPACE_MAX_COMPOSITES + 1; k++) {
        double c[2] = {1, 2 + k};
        const double *v[] = {c};
        if (anas_space_compose(find("mlp"), 1, names, n, v, &err))
            made++;
        else if (failed_at < 0)
            failed_at = k;
    }
    ok(failed_at > 0 && err.code == ANAS_ELIMIT, "the list fills: ANAS_ELIMIT (after %d more)",
       made);
    ok(lr_bs_of(find("resnet")) == s, "a composite already made is still returned");
    ok(anas_space_find(anas_space_name(s)) == s, "and found");
}

int main(void)
{
    const struct anas_space *resnet = find("resnet");
    const struct anas_space *s = resnet ? lr_bs_of(resnet) : NULL;

    plan_later();
    if (!s) {
        ok(0, "resnet+train composes");
        return done();
    }
    table(resnet, s);
    interning(resnet, s);
    size();
    sampling(resnet, s);
    validation(s);
    canonical(s);
    network(resnet, s);
    errors(resnet, s);
    threads(resnet);
    recipe();
    evaluator();
    limit(s);
    return done();
}
