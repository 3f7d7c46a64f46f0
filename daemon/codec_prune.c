/*
 * codec_prune.c - the run's "pruner": early stopping of trainings.
 *
 *     "pruner": {"kind": "median", "min_epochs": 1, "startup": 5, "percentile": 50}
 *     "pruner": {"kind": "successive-halving", "min_epochs": 1, "eta": 3}
 *
 * The pruner follows the objectives that have a learning curve: after
 * every epoch the train evaluator reports train_loss, test_loss, acc@fp
 * (neg_mse@fp) and, with the evaluator's curve_drift, acc@<t> read from the
 * tiles. An objective is followed through the epoch metric of its own name
 * when there is one, an accuracy at a drift time through acc@fp otherwise
 * (its digital stand-in), and analytic objectives (params, tiles...) by
 * their value, which does not change; others (avm, acc_std@t) are left
 * out. At least one followed objective must have a curve.
 */
#include "config.h"

#include "codec_int.h"

#include <stdio.h>
#include <string.h>

/* The epoch metric that stands for an objective; "" for an analytic one;
 * 0 when the objective has no stand-in. */
static int stand_in(const struct run_spec *s, const char *metric, char *out, size_t n)
{
    static const char *const same[] = {"acc@fp", "neg_mse@fp", "train_loss", "test_loss", NULL};
    const struct anas_eval_analog *a = &s->analog;
    for (int i = 0; same[i]; i++)
        if (strcmp(metric, same[i]) == 0) {
            snprintf(out, n, "%s", metric);
            return 1;
        }
    if (anas_search_metric_is_analytic(metric)) {
        out[0] = '\0';
        return 1;
    }
    for (int i = 0; i < a->n_times; i++) {
        char acc[64], mse[64];
        snprintf(acc, sizeof acc, "acc@%s", a->time_names[i]);
        snprintf(mse, sizeof mse, "neg_mse@%s", a->time_names[i]);
        if (strcmp(metric, acc) && strcmp(metric, mse))
            continue;
        if (i == a->curve_time)
            snprintf(out, n, "%s", metric);
        else
            snprintf(out, n, "%s", metric[0] == 'a' ? "acc@fp" : "neg_mse@fp");
        return 1;
    }
    return 0;
}

static int follow_objectives(struct run_spec *out, struct anas_error *err)
{
    const struct anas_search_spec *ss = &out->search;
    int curves = 0, d = 0;
    for (int i = 0; i < ss->n_objectives; i++) {
        char name[ANAS_METRIC_NAME_MAX];
        if (!stand_in(out, ss->objectives[i].metric, name, sizeof name))
            continue;
        out->prune_obj[d] = i;
        snprintf(out->prune_metric[d], sizeof out->prune_metric[d], "%s", name);
        curves += name[0] != '\0';
        d++;
    }
    if (curves == 0)
        return codec__bad(err, ANAS_EINVAL, "/pruner",
                          "no objective has a learning curve to prune on (accuracy, loss, "
                          "or acc@<t> with the evaluator's curve_drift)");
    out->prune.d = d;
    return 0;
}

static int parse_fields(json_t *v, struct anas_prune_spec *ps, struct anas_error *err)
{
    json_t *f;
    long long x;
    if ((f = json_object_get(v, "min_epochs"))) {
        if (codec__int(f, "/pruner/min_epochs", 1, ANAS_PRUNE_MAX_EPOCHS, &x, err) < 0)
            return err->code;
        ps->min_epochs = (int)x;
    }
    if ((f = json_object_get(v, "startup"))) {
        if (codec__int(f, "/pruner/startup", 0, 100000, &x, err) < 0)
            return err->code;
        ps->startup = (int)x;
    }
    if ((f = json_object_get(v, "percentile")) &&
        codec__num(f, "/pruner/percentile", 0, 100, &ps->percentile, err) < 0)
        return err->code;
    if ((f = json_object_get(v, "eta"))) {
        if (codec__int(f, "/pruner/eta", 2, 100, &x, err) < 0)
            return err->code;
        ps->eta = (int)x;
    }
    return 0;
}

int codec__pruner(json_t *v, struct run_spec *out, struct anas_error *err)
{
    static const char *const median[] = {"kind", "min_epochs", "startup", "percentile", NULL};
    static const char *const halving[] = {"kind", "min_epochs", "eta", NULL};
    char kind[32];
    json_t *f;
    anas_prune_spec_init(&out->prune, ANAS_PRUNE_NONE, 1);
    if (!v)
        return 0;
    if (codec__obj(v, "/pruner", err) < 0)
        return err->code;
    if (!(f = json_object_get(v, "kind")))
        return codec__bad(err, ANAS_EINVAL, "/pruner/kind", "pruner.kind is required");
    if (codec__str(f, "/pruner/kind", kind, sizeof kind, err) < 0)
        return err->code;
    if (anas_prune_kind_parse(kind, &out->prune.kind) < 0)
        return codec__bad(err, ANAS_EINVAL, "/pruner/kind",
                          "pruner.kind must be \"median\", \"successive-halving\" or \"none\"");
    if (codec_check_keys(v, out->prune.kind == ANAS_PRUNE_HALVING ? halving : median, "/pruner",
                         err) < 0 ||
        parse_fields(v, &out->prune, err) < 0)
        return err->code;
    if (out->prune.kind == ANAS_PRUNE_NONE)
        return 0;
    if (strcmp(out->kind, "search") != 0)
        return codec__bad(err, ANAS_EINVAL, "/pruner", "only a search prunes (this is a%s %s run)",
                          out->kind[0] == 'e' ? "n" : "", out->kind);
    if (out->eval_kind != ANAS_EVAL_TRAIN)
        return codec__bad(err, ANAS_EINVAL, "/pruner",
                          "pruning stops trainings: it needs the train evaluator");
    return follow_objectives(out, err);
}

json_t *codec__pruner_to_json(const struct run_spec *s)
{
    const struct anas_prune_spec *ps = &s->prune;
    if (ps->kind == ANAS_PRUNE_HALVING)
        return json_pack("{s:s, s:i, s:i}", "kind", anas_prune_kind_name(ps->kind), "min_epochs",
                         ps->min_epochs, "eta", ps->eta);
    return json_pack("{s:s, s:i, s:i, s:f}", "kind", anas_prune_kind_name(ps->kind),
                     "min_epochs", ps->min_epochs, "startup", ps->startup, "percentile",
                     ps->percentile);
}
