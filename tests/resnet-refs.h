/*
 * resnet-refs.h - reference vectors computed with AnalogNAS's Network
 * (analognas/analogainas/search_spaces/resnet_macro_architecture.py,
 * IBM/analog-nas at 71dae1f8) under torch 1.13.1: configurations (the best
 * of AnalogNAS_Tutorial.ipynb, AnalogNAS's results/best_results_0.csv and
 * two others), their channels, fc_len and parameter counts (sum of
 * p.numel()), shared by the space tests. Header-only.
 */
#ifndef ANAS_TESTS_RESNET_REFS_H
#define ANAS_TESTS_RESNET_REFS_H

#include "space/space.h"

#define RESNET_N_HP 22

struct resnet_ref {
    const char *what;
    double v[RESNET_N_HP];
    struct anas_shape shape;
    int channels[4];
    long long fc_len, params;
};

static const struct resnet_ref resnet_refs[] = {
    {"tutorial best, 32x32",
     {12, 4, 3,
      2,  0, 3,
      0,  1, 0.6678630624951394,
      3,  2, 0.7645261432799274,
      1,  2, 0.6605427081799845,
      1,  1, 0.5282750895121485,
      2,  0, 0,
      0},
     {3, 32, 32, 10},
     {17, 22, 33, 62},
     27342,
     741324},
    {"tutorial best, 100x100",
     {12, 4, 3,
      2,  0, 3,
      0,  1, 0.6678630624951394,
      3,  2, 0.7645261432799274,
      1,  2, 0.6605427081799845,
      1,  1, 0.5282750895121485,
      2,  0, 0,
      0},
     {3, 100, 100, 2},
     {17, 22, 33, 62},
     491102,
     1450100},
    {"oc0 8, M 1",
     {8, 1, 13, 0, 0, 0, 0, 1, 0.6908466389737407, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
     {3, 32, 32, 10},
     {11},
     4851,
     107000},
    {"oc0 8, M 4",
     {8, 4, 1,
      6, 2, 10,
      0, 2, 0.7861840131898767,
      3, 1, 0.763737093661782,
      2, 2, 0.7589036313340662,
      1, 2, 0.5682032535401637,
      3, 0, 0,
      0},
     {3, 32, 32, 10},
     {10, 13, 17, 29},
     12789,
     629712},
    {"best_results_0",
     {64, 1, 5, 0, 0, 0, 0, 2, 0.5788056173988683, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
     {3, 32, 32, 10},
     {110},
     48510,
     2593226},
};

#define RESNET_N_REFS (sizeof resnet_refs / sizeof resnet_refs[0])

#endif
