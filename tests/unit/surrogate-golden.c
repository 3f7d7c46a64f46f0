/*
 * surrogate-golden.c - AnalogNAS's nine published XGBoost models
 * (analogainas/evaluators/weights/xgboost_*.bst) give, for the inputs
 * below, exactly the float32 predictions of Python xgboost 1.7.4's
 * XGBRegressor.predict (bit for bit, not within a tolerance).
 */
#include "config.h"

#include <stdio.h>

#include "surrogate/surrogate.h"
#include "tap.h"

#define N_FEATURES 22

static const char *const model_files[] = {
    "xgboost_ranker_acc.bst", "xgboost_avm.bst",     "xgboost_std.bst",
    "xgboost_ranker_vww.bst", "xgboost_avm_vww.bst", "xgboost_std_vww.bst",
    "xgboost_ranker_kws.bst", "xgboost_avm_kws.bst", "xgboost_std_kws.bst",
};
#define N_MODELS (int)(sizeof(model_files) / sizeof(model_files[0]))

enum { ACC, AVM, STD, ACC_VWW, AVM_VWW, STD_VWW, ACC_KWS, AVM_KWS, STD_KWS };

/* The inputs as float64, the way AnalogNAS's dicts hold them. */
/* clang-format off */
static const double inputs[][N_FEATURES] = {
    /* 0: the tutorial's best architecture */
    {12, 4, 3, 2, 0, 3, 0, 1, 0.6678630624951394, 3, 2, 0.7645261432799274, 1, 2,
     0.6605427081799845, 1, 1, 0.5282750895121485, 2, 0, 0, 0},
    {8, 1, 13, 0, 0, 0, 0, 1, 0.6908466389737407, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    {12, 2, 6, 6, 0, 0, 0, 1, 0.6565390160811785, 4, 1, 0.7536832858378526, 3, 0, 0, 0, 0,
     0, 0, 0, 0, 0},
    {8, 4, 1, 6, 2, 10, 0, 2, 0.7861840131898767, 3, 1, 0.763737093661782, 2, 2,
     0.7589036313340662, 1, 2, 0.5682032535401637, 3, 0, 0, 0},
    {12, 1, 1, 0, 0, 0, 0, 2, 0.6933597844222099, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    {64, 1, 13, 0, 0, 0, 0, 2, 0.6941894364559862, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
    /* 6: tests/resnet.csv of AnalogNAS */
    {16, 3, 3, 0, 2, 0, 0, 2, 2, 1, 1, 3, 2, 2, 3, 2, 0, 0, 0, 0, 0, 0},
    /* 7: all zeros */
    {0},
};
/* clang-format on */

struct golden {
    int input, model;
    double want;
};

/* clang-format off */
static const struct golden goldens[] = {
    {0, ACC, 0.9806802868843079},     {0, AVM, 7.148113250732422},
    {0, STD, 0.05027572438120842},    {0, ACC_VWW, 0.9400578737258911},
    {0, AVM_VWW, 18.361677169799805}, {0, STD_VWW, 0.10617151111364365},
    {0, ACC_KWS, 0.9290084838867188}, {0, AVM_KWS, 4.007916450500488},
    {0, STD_KWS, 0.04157776013016701},

    {1, ACC, 0.7268093824386597},     {1, AVM, 13.71225643157959},
    {1, STD, 0.20237120985984802},    {1, ACC_VWW, 0.799531877040863},
    {1, AVM_VWW, 18.320112228393555}, {1, ACC_KWS, 0.9279783964157104},
    {1, AVM_KWS, 1.7257839441299438},

    {2, ACC, 0.7267383933067322},     {2, AVM, 15.507301330566406},
    {2, STD, 0.21003444492816925},

    {3, ACC, 0.9431837201118469},     {3, AVM, 8.531862258911133},
    {3, STD, 0.06992902606725693},    {3, ACC_VWW, 0.9574270844459534},
    {3, AVM_VWW, 16.405485153198242}, {3, ACC_KWS, 0.9286931753158569},

    {4, ACC, 0.7339202761650085},     {4, AVM, 16.87876319885254},
    {4, STD, 0.21440640091896057},

    {5, ACC, 0.7472437024116516},     {5, AVM, 13.99168586730957},
    {5, STD, 0.20720764994621277},

    {6, ACC, 0.7250059247016907},     {6, AVM, 13.41596794128418},
    {6, STD, 0.2320706993341446},

    {7, ACC, 0.7755054831504822},     {7, AVM, 16.05756187438965},
    {7, STD, 0.14405696094036102},    {7, ACC_VWW, 0.7745826244354248},
    {7, AVM_VWW, 18.519575119018555}, {7, STD_VWW, 0.26828616857528687},
    {7, ACC_KWS, 0.9158903956413269}, {7, AVM_KWS, 3.856135368347168},
    {7, STD_KWS, 0.04015715420246124},
};
/* clang-format on */
#define N_GOLDENS (int)(sizeof(goldens) / sizeof(goldens[0]))

static void check_one(struct anas_surrogate *m, const struct golden *g)
{
    float x[N_FEATURES], got = -1.0f;
    struct anas_error err;
    int rc;

    for (int j = 0; j < N_FEATURES; j++)
        x[j] = (float)inputs[g->input][j];
    rc = anas_surrogate_predict(m, x, 1, N_FEATURES, &got, &err);
    if (!ok(rc == 0 && got == (float)g->want, "%s on input %d gives %.9g",
            model_files[g->model], g->input, (double)(float)g->want))
        printf("#   rc %d, got %.9g\n", rc, (double)got);
}

/* All golden rows of one model in one call: batching must not change a
 * prediction. */
static void check_batch(struct anas_surrogate *m, int model)
{
    float x[N_GOLDENS * N_FEATURES], y[N_GOLDENS];
    int idx[N_GOLDENS], n = 0, same = 1;

    for (int i = 0; i < N_GOLDENS; i++) {
        if (goldens[i].model != model)
            continue;
        for (int j = 0; j < N_FEATURES; j++)
            x[n * N_FEATURES + j] = (float)inputs[goldens[i].input][j];
        idx[n++] = i;
    }
    if (anas_surrogate_predict(m, x, n, N_FEATURES, y, NULL) != 0)
        same = 0;
    for (int k = 0; same && k < n; k++)
        same = y[k] == (float)goldens[idx[k]].want;
    ok(same, "%s: %d rows in one batch give the same values", model_files[model], n);
}

int main(void)
{
    const char *shared = getenv("ANAS_SHARED");
    struct anas_surrogate *models[N_MODELS];
    char path[4096];

    if (!shared || !*shared)
        skip_all("ANAS_SHARED is not set");
    snprintf(path, sizeof(path), "%s/reference/analognas/weights/%s", shared,
             model_files[0]);
    FILE *probe = fopen(path, "rb");
    if (!probe)
        skip_all("AnalogNAS weights are absent");
    fclose(probe);

    plan(2 * N_MODELS + N_GOLDENS + N_MODELS);
    for (int i = 0; i < N_MODELS; i++) {
        struct anas_error err = {0};
        snprintf(path, sizeof(path), "%s/reference/analognas/weights/%s", shared,
                 model_files[i]);
        models[i] = anas_surrogate_load(path, &err);
        if (!ok(models[i] != NULL, "load %s", model_files[i]))
            printf("#   %s\n", err.msg);
        is_int(models[i] ? anas_surrogate_n_features(models[i]) : -1, N_FEATURES,
               "%s has 22 features", model_files[i]);
    }
    for (int i = 0; i < N_GOLDENS; i++) {
        struct anas_surrogate *m = models[goldens[i].model];
        if (m)
            check_one(m, &goldens[i]);
        else
            ok(0, "%s on input %d (model not loaded)", model_files[goldens[i].model],
               goldens[i].input);
    }
    for (int i = 0; i < N_MODELS; i++) {
        if (models[i])
            check_batch(models[i], i);
        else
            ok(0, "%s batch (model not loaded)", model_files[i]);
    }
    for (int i = 0; i < N_MODELS; i++)
        anas_surrogate_free(models[i]);
    return done();
}
