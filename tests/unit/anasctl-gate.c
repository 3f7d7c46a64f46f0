/*
 * anasctl-gate.c - anasctl's CI gates: parsing METRIC=VALUE, and checking
 * them against run objects (best metrics first, then the summary).
 */
#include "config.h"

#include "anasctl.h"
#include "tap.h"

static json_t *run_of(const char *text)
{
    json_t *j = json_loads(text, 0, NULL);
    if (!j) {
        printf("Bail out! bad test JSON: %s\n", text);
        exit(1);
    }
    return j;
}

int main(void)
{
    struct gate g[4];
    char err[160];
    plan_later();

    ok(gate_parse("params=100000", 1, &g[0], err, sizeof err) == 0, "params=100000 parses");
    ok(!strcmp(g[0].metric, "params") && g[0].threshold == 100000 && g[0].over == 1,
       "metric, threshold and direction are kept");
    ok(gate_parse("acc@1d=0.85", 0, &g[1], err, sizeof err) == 0 && g[1].threshold == 0.85,
       "acc@1d=0.85 parses");
    ok(gate_parse("params", 1, &g[2], err, sizeof err) < 0 && strstr(err, "METRIC=VALUE"),
       "no '=' is refused: %s", err);
    ok(gate_parse("=3", 1, &g[2], err, sizeof err) < 0, "an empty metric is refused");
    ok(gate_parse("params=", 1, &g[2], err, sizeof err) < 0 && strstr(err, "not a finite"),
       "an empty value is refused: %s", err);
    ok(gate_parse("params=12x", 1, &g[2], err, sizeof err) < 0, "12x is refused");
    ok(gate_parse("params=nan", 1, &g[2], err, sizeof err) < 0, "nan is refused");
    ok(gate_parse("params=inf", 1, &g[2], err, sizeof err) < 0, "inf is refused");
    ok(gate_parse("par ms=1", 1, &g[2], err, sizeof err) < 0, "a space in the name is refused");
    ok(gate_parse("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=1", 1,
                  &g[2], err, sizeof err) < 0, "an overlong name is refused");
    ok(gate_parse("hypervolume=-1e3", 0, &g[2], err, sizeof err) == 0 && g[2].threshold == -1000,
       "a negative exponent value parses");

    json_t *run = run_of("{\"best\": {\"metrics\": {\"params\": 81234, \"acc@1d\": 0.9}},"
                         " \"summary\": {\"hypervolume\": 12.5, \"params\": 1}}");
    ok(gate_check(g, 3, run) == 0, "params <= 100000, acc@1d >= 0.85, hypervolume >= -1000 pass");
    ok(!strcmp(g[0].source, "best") && g[0].value == 81234, "params is read from best first");
    ok(!strcmp(g[2].source, "summary") && g[2].value == 12.5, "hypervolume from the summary");
    gate_parse("params=81233", 1, &g[0], err, sizeof err);
    gate_parse("acc@1d=0.9", 0, &g[1], err, sizeof err);
    ok(gate_check(g, 2, run) == 1 && !g[0].passed && g[1].passed,
       "params one above fails; a value equal to the threshold passes");
    char msg[256];
    gate_describe(&g[0], msg, sizeof msg);
    ok(!strcmp(msg, "params = 81234 (best), must be <= 81233"), "the message: %s", msg);
    json_decref(run);

    run = run_of("{\"best\": null, \"summary\": null}");
    ok(gate_check(g, 1, run) == 1 && !g[0].has_value, "no best: the gate fails");
    gate_describe(&g[0], msg, sizeof msg);
    ok(strstr(msg, "has no value") != NULL, "and says there is no value: %s", msg);
    json_decref(run);
    return done();
}
