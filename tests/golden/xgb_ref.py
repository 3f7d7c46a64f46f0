#!/usr/bin/env python3
"""xgb_ref.py DIR - Python's xgboost on the data tests/unit/surrogate-xgb-py
wrote into DIR, for comparison with anas_surrogate_fit.

DIR holds spec.json ({"n", "d", "n_test", "params": {n_estimators,
max_depth, eta, subsample, colsample_bytree, min_child_weight, lambda,
seed, n_threads}}), train_x.f32 (n x d), train_y.f32 (n), test_x.f32
(n_test x d), all raw little-endian float32, and ours.json, the model
anas_surrogate_save_json wrote. It writes:

  py_pred.f32    predictions on test_x of the model Python fits itself
  py_loaded.f32  predictions on test_x of ours.json as Booster().load_model
                 reads it
  py_model.json  the model Python fitted (for the C side to load)

Python fits with xgboost.XGBRegressor when scikit-learn is there (it needs
it), else with xgboost.train given the very parameters XGBRegressor would
pass (get_xgb_params: learning_rate, reg_lambda, random_state, n_jobs;
tree_method left to "auto", which picks "exact" for data this size).
Predictions go through inplace_predict, as XGBRegressor.predict does.
"""
import json
import os
import sys

import numpy as np
import xgboost as xgb


def read(path, shape):
    return np.fromfile(path, dtype="<f4").reshape(shape)


def main():
    d = sys.argv[1]
    spec = json.load(open(os.path.join(d, "spec.json")))
    n, k, n_test, p = spec["n"], spec["d"], spec["n_test"], spec["params"]
    x = read(os.path.join(d, "train_x.f32"), (n, k))
    y = read(os.path.join(d, "train_y.f32"), (n,))
    xt = read(os.path.join(d, "test_x.f32"), (n_test, k))
    kw = dict(objective="reg:squarederror", max_depth=p["max_depth"],
              learning_rate=p["eta"], subsample=p["subsample"],
              colsample_bytree=p["colsample_bytree"],
              min_child_weight=p["min_child_weight"], reg_lambda=p["lambda"],
              random_state=p["seed"], n_jobs=p["n_threads"])
    try:
        model = xgb.XGBRegressor(n_estimators=p["n_estimators"], **kw)
        model.fit(x, y)
        booster = model.get_booster()
        how = "XGBRegressor"
    except ImportError:  # XGBRegressor needs scikit-learn
        booster = xgb.train(kw, xgb.DMatrix(x, label=y), p["n_estimators"])
        how = "xgboost.train"
    booster.inplace_predict(xt).astype("<f4").tofile(os.path.join(d, "py_pred.f32"))
    booster.save_model(os.path.join(d, "py_model.json"))

    ours = xgb.Booster()
    ours.load_model(os.path.join(d, "ours.json"))
    ours.inplace_predict(xt).astype("<f4").tofile(os.path.join(d, "py_loaded.f32"))
    cfg = json.loads(booster.save_config())
    method = cfg["learner"]["gradient_booster"]["gbtree_train_param"]["tree_method"]
    print("xgboost %s, %s, tree_method %s" % (xgb.__version__, how, method))


if __name__ == "__main__":
    main()
