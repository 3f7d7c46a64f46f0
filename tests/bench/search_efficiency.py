#!/usr/bin/python3
"""search_efficiency.py - the Python half of tests/bench/search-efficiency:
Optuna's samplers on AnalogNAS's CIFAR-10 surrogates, predicted by Python's
xgboost, on the search space anasd's resnet space defines.

    search_efficiency.py check HELPER SHARED N
    search_efficiency.py run HELPER SHARED SAMPLER PART SEED EVALS FILE

HELPER is the C half (search-efficiency). It gives the space (`space`:
every hyperparameter, its kind, range, choices and the least M that makes it
active, as anasd's space answers) and, per configuration (`serve`), the
surrogate feature vector anas_space_features makes, the analytic params,
and anasd's own evaluator's acc@1d, avm and acc_std@1d. Python predicts the
three with its own xgboost (xgboost.Booster on the same .bst files, as
AnalogNAS's evaluator does) and compares each prediction with anasd's:
`check` on N uniform configurations, `run` on every trial, failing when any
differs by more than 1e-6.

`run` is one Optuna study (TPESampler or NSGAIISampler, seeded, defaults
otherwise) of EVALS trials for part a (acc@1d max), b (and params min) or c
(and acc_std@1d min), the constraint avm <= 5 given through the sampler's
constraints_func as avm - 5 <= 0 and the raw objective values returned
even for infeasible trials. It writes a trace, one line per trial:
"feasible acc@1d params acc_std@1d avm", the format the C half reads.

Runs under Debian's /usr/bin/python3 (python3-optuna 3.1, python3-xgboost).
"""
import subprocess
import sys
import warnings

import numpy as np
import optuna
import xgboost as xgb

MODELS = (("acc@1d", "xgboost_ranker_acc.bst"), ("avm", "xgboost_avm.bst"),
          ("acc_std@1d", "xgboost_std.bst"))
AVM_MAX = 5.0
TOL = 1e-6


class Helper:
    """The C half: the space, and what anasd computes for a configuration."""

    def __init__(self, path):
        self.path = path
        self.hps = []
        out = subprocess.run([path, "space"], check=True, capture_output=True, text=True)
        for line in out.stdout.splitlines():
            w = line.split()
            self.hps.append({"name": w[1], "kind": w[2], "lo": float(w[3]), "hi": float(w[4]),
                             "needs_m": int(w[5]), "choices": [float(c) for c in w[6:]]})
        self.proc = subprocess.Popen([path, "serve"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, bufsize=1)

    def ask(self, values):
        """(features, params, anasd's [acc@1d, avm, acc_std@1d])."""
        self.proc.stdin.write(" ".join(repr(float(v)) for v in values) + "\n")
        self.proc.stdin.flush()
        w = self.proc.stdout.readline().split()
        if not w or w[0] != "ok":
            raise ValueError("anasd refuses %s: %s" % (values, " ".join(w)))
        n = len(self.hps)
        return ([float(x) for x in w[1:1 + n]], float(w[1 + n]),
                [float(x) for x in w[2 + n:5 + n]])

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


class Models:
    """The three boosters; counts predictions that differ from anasd's."""

    def __init__(self, shared):
        self.boosters = [xgb.Booster(model_file="%s/reference/analognas/weights/%s" %
                                     (shared, f)) for _, f in MODELS]
        self.n = 0
        self.bad = 0
        self.max_diff = [0.0] * len(MODELS)

    def predict(self, features, theirs):
        x = xgb.DMatrix(np.array([features], dtype=np.float32))
        mine = [float(b.predict(x)[0]) for b in self.boosters]
        self.n += 1
        for k in range(len(mine)):
            d = abs(mine[k] - theirs[k])
            self.max_diff[k] = max(self.max_diff[k], d)
            if not d <= TOL:
                self.bad += 1
        return mine

    def summary(self):
        return "%d configurations, max |python - anasd|: %s" % (
            self.n, ", ".join("%s %.3g" % (m, d) for (m, _), d in zip(MODELS, self.max_diff)))


def suggest(trial, hps):
    """The configuration, define-by-run: only the active hyperparameters
    are asked (M first decides which groups are); the others are 0, as
    anasd's canonical form has them."""
    values, m = [], None
    for hp in hps:
        if hp["needs_m"] and (m is None or hp["needs_m"] > m):
            values.append(0.0)
            continue
        if hp["kind"] == "choice":
            v = trial.suggest_categorical(hp["name"], [int(c) for c in hp["choices"]])
        elif hp["kind"] == "int":
            v = trial.suggest_int(hp["name"], int(hp["lo"]), int(hp["hi"]))
        else:
            # anasd's float range is [lo, hi); Optuna's includes hi.
            v = min(trial.suggest_float(hp["name"], hp["lo"], hp["hi"]),
                    float(np.nextafter(hp["hi"], hp["lo"])))
        if hp["name"] == "M":
            m = v
        values.append(float(v))
    return values


def check(helper, models, n):
    out = subprocess.run([helper.path, "sample", str(n), "20240607"], check=True,
                         capture_output=True, text=True)
    for line in out.stdout.splitlines():
        features, _, theirs = helper.ask([float(v) for v in line.split()])
        models.predict(features, theirs)
    ok = models.bad == 0 and models.n == n
    print("cross-check of the objectives on %s: %s" % (
        models.summary(), "identical within %g" % TOL if ok else "DIFFERENT"))
    return 0 if ok else 1


def run(helper, models, sampler_name, part, seed, evals, path):
    n_obj = "abc".index(part) + 1
    trace = open(path, "w")

    def objective(trial):
        features, params, theirs = helper.ask(suggest(trial, helper.hps))
        acc, avm, std = models.predict(features, theirs)
        trial.set_user_attr("constraint", (avm - AVM_MAX,))
        trace.write("%d %.9g %.17g %.9g %.9g\n" % (avm <= AVM_MAX, acc, params, std, avm))
        return (acc, params, std)[:n_obj] if n_obj > 1 else acc

    def constraints(trial):
        return trial.user_attrs["constraint"]

    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if sampler_name == "tpe":
        sampler = optuna.samplers.TPESampler(seed=seed, constraints_func=constraints)
    else:
        sampler = optuna.samplers.NSGAIISampler(seed=seed, constraints_func=constraints)
    study = optuna.create_study(sampler=sampler,
                                directions=["maximize", "minimize", "minimize"][:n_obj])
    study.optimize(objective, n_trials=evals)
    trace.close()
    if models.bad:
        print("optuna-%s part %s seed %d: predictions differ from anasd's: %s" % (
            sampler_name, part, seed, models.summary()))
        return 1
    return 0


def main(argv):
    if len(argv) == 5 and argv[1] == "check":
        helper = Helper(argv[2])
        rc = check(helper, Models(argv[3]), int(argv[4]))
    elif len(argv) == 9 and argv[1] == "run" and argv[4] in ("tpe", "nsga2"):
        helper = Helper(argv[2])
        rc = run(helper, Models(argv[3]), argv[4], argv[5], int(argv[6]), int(argv[7]),
                 argv[8])
    else:
        print("usage: search_efficiency.py check HELPER SHARED N | run HELPER SHARED "
              "tpe|nsga2 a|b|c SEED EVALS FILE", file=sys.stderr)
        return 2
    helper.close()
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv))
