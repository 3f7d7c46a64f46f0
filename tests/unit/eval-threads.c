/*
 * eval-threads.c - the train evaluator's threads per evaluation: the
 * network trains on a team of spec.threads, and the result is one
 * thread's up to float rounding (the team splits samples, so sums are
 * added in another order).
 */
#include "config.h"

#include "eval/eval.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "nn/net.h"
#include "space/space.h"
#include "tap.h"
#include "tensor/team.h"

static struct anas_dataset *train, *test;

/* Train lenet's default configuration on `threads`; its loss and accuracy,
 * and the team the trained net kept. */
static int train_on(int threads, double *loss, double *acc, int *team)
{
    const struct anas_space *s = anas_space_find("lenet");
    struct anas_shape shape = {1, 16, 16, 10};
    struct anas_eval_spec spec;
    struct anas_metrics m;
    struct anas_config cfg;
    struct anas_error err = {0};
    struct anas_net *net = NULL;
    int rc;

    anas_eval_spec_init(&spec, ANAS_EVAL_TRAIN, s, &shape);
    spec.train_set = train;
    spec.test_set = test;
    spec.threads = threads;
    anas_train_spec_init(&spec.train);
    spec.train.batch_size = 32;
    spec.train.epochs = 2;
    spec.train.optim.lr = 0.2f;
    anas_config_init(&cfg, s);
    for (int i = 0; i < anas_space_n_hp(s); i++) {
        const char *name = anas_space_hp(s, i)->name;
        cfg.v[i] = strcmp(name, "channels1") == 0   ? 4
                   : strcmp(name, "channels2") == 0 ? 8
                   : strcmp(name, "kernel") == 0    ? 5
                   : strcmp(name, "hidden") == 0    ? 64
                                                    : 0;
    }
    rc = anas_eval_train(&spec, &cfg, NULL, NULL, &m, &net, &err);
    if (rc < 0) {
        printf("# anas_eval_train on %d threads: %s\n", threads, err.msg);
        return rc;
    }
    anas_metrics_get(&m, "train_loss", loss);
    anas_metrics_get(&m, "acc@fp", acc);
    *team = anas_net_threads(net);
    anas_net_free(net);
    return 0;
}

static void spec_range(void)
{
    struct anas_eval_spec spec;
    struct anas_error err = {0};
    struct anas_shape shape = {1, 16, 16, 10};

    anas_eval_spec_init(&spec, ANAS_EVAL_TRAIN, anas_space_find("lenet"), &shape);
    spec.train_set = train;
    spec.test_set = test;
    anas_train_spec_init(&spec.train);
    spec.threads = -1;
    ok(anas_eval_spec_check(&spec, &err) == ANAS_ERANGE && strcmp(err.field, "threads") == 0,
       "threads -1: ANAS_ERANGE at threads");
    spec.threads = ANAS_TEAM_MAX + 1;
    ok(anas_eval_spec_check(&spec, NULL) == ANAS_ERANGE, "threads %d: ANAS_ERANGE",
       ANAS_TEAM_MAX + 1);
    spec.threads = 0;
    ok(anas_eval_spec_check(&spec, NULL) == 0, "threads 0 (one) is valid");
}

int main(void)
{
    double l1 = 0, l2 = 0, a1 = 0, a2 = 0;
    int t1 = 0, t2 = 0, rc1, rc2;

    plan(6);
    train = anas_data_synthetic(96, 1, 16, 16, 10, 1, NULL);
    test = anas_data_synthetic(32, 1, 16, 16, 10, 2, NULL);
    spec_range();
    rc1 = train_on(0, &l1, &a1, &t1);
    rc2 = train_on(2, &l2, &a2, &t2);
    ok(rc1 == 0 && t1 == 1, "threads 0 trains on one thread (%d)", t1);
    ok(rc2 == 0 && t2 == 2, "threads 2 trains on a team of two (%d)", t2);
    ok(t1 == 1 && t2 == 2 && l1 > 0 && fabs(l1 - l2) <= 1e-4 * l1 && fabs(a1 - a2) <= 1.0 / 32,
       "two threads train as one (loss %.6f vs %.6f, accuracy %.4f vs %.4f)", l1, l2, a1, a2);
    anas_data_free(train);
    anas_data_free(test);
    return done();
}
