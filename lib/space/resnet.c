/*
 * resnet.c - AnalogNAS's ResNet-like search space, exactly as AnalogNAS
 * samples it and builds it (IBM/analog-nas at 71dae1f8: ConfigSpace in
 * analognas/analogainas/search_spaces/config_space.py, Network in
 * search_spaces/resnet_macro_architecture.py).
 *
 * 22 hyperparameters in AnalogNAS's order, which is also the surrogate
 * feature order: out_channel0, M, R1..R5, then (convblock, widenfact, B) for
 * groups 1..5. Groups beyond M are inactive and read as 0. The ranges are
 * the values AnalogNAS actually draws (numpy's randint excludes its high).
 *
 * The network keeps AnalogNAS's quirks, because parameter counts must match
 * it exactly: a 7x7 stem with padding 1 and no ReLU, M groups of max(1, R)
 * blocks (R = 0 still builds one), each block the sum of B parallel
 * ReLU-conv3-BN-ReLU-conv3-BN branches plus a skip, no downsampling
 * anywhere, then ReLU, an 8x8 stride-1 average pool and a fully connected
 * layer over the whole (H-11) x (W-11) map. convblock builds nothing; it
 * only enters nb_convs. The stem's input channels follow the input shape
 * where AnalogNAS hard-codes 3.
 *
 * The layer list (short names, for summaries and the analytic metrics) and
 * the trainable network (lib/nn, named after AnalogNAS's modules so that
 * its weights load into AnalogNAS's Network) walk the same widths.
 */
#include "config.h"

#include "space/space_int.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#include "nn/net.h"

#define N_GROUPS 5

/* Indices into the configuration, j = 1..5. */
enum { OC0 = 0, M_IDX = 1 };
#define R_IDX(j)         (1 + (j))
#define CONVBLOCK_IDX(j) (4 + 3 * (j))
#define WIDEN_IDX(j)     (5 + 3 * (j))
#define B_IDX(j)         (6 + 3 * (j))

static const double oc0_choices[] = {8, 12, 16, 32, 48, 64};
static const double cb_choices[] = {1, 2};

/* name, kind, lo, hi, n_choices, choices, is_int, help. A group's width is
 * C = int(round(C_prev // widenfact)); convblock builds nothing. */
static const struct anas_hp resnet_hps[] = {
    {"out_channel0", ANAS_HP_CHOICE, 8, 64, 6, oc0_choices, 1, "stem channels"},
    {"M", ANAS_HP_INT, 1, 4, 0, NULL, 1, "residual groups"},
    {"R1", ANAS_HP_INT, 1, 15, 0, NULL, 1, "blocks in group 1"},
    {"R2", ANAS_HP_INT, 0, 15, 0, NULL, 1, "blocks in group 2 (0 builds one)"},
    {"R3", ANAS_HP_INT, 0, 15, 0, NULL, 1, "blocks in group 3 (0 builds one)"},
    {"R4", ANAS_HP_INT, 0, 15, 0, NULL, 1, "blocks in group 4 (0 builds one)"},
    {"R5", ANAS_HP_INT, 0, 15, 0, NULL, 1, "blocks in group 5 (0 builds one)"},
    {"convblock1", ANAS_HP_CHOICE, 1, 2, 2, cb_choices, 1, "block type, group 1"},
    {"widenfact1", ANAS_HP_FLOAT, 0.5, 0.8, 0, NULL, 0, "widening factor of group 1"},
    {"B1", ANAS_HP_INT, 1, 4, 0, NULL, 1, "branches per block, group 1"},
    {"convblock2", ANAS_HP_CHOICE, 1, 2, 2, cb_choices, 1, "block type, group 2"},
    {"widenfact2", ANAS_HP_FLOAT, 0.5, 0.8, 0, NULL, 0, "widening factor of group 2"},
    {"B2", ANAS_HP_INT, 1, 4, 0, NULL, 1, "branches per block, group 2"},
    {"convblock3", ANAS_HP_CHOICE, 1, 2, 2, cb_choices, 1, "block type, group 3"},
    {"widenfact3", ANAS_HP_FLOAT, 0.5, 0.8, 0, NULL, 0, "widening factor of group 3"},
    {"B3", ANAS_HP_INT, 1, 4, 0, NULL, 1, "branches per block, group 3"},
    {"convblock4", ANAS_HP_CHOICE, 1, 2, 2, cb_choices, 1, "block type, group 4"},
    {"widenfact4", ANAS_HP_FLOAT, 0.5, 0.8, 0, NULL, 0, "widening factor of group 4"},
    {"B4", ANAS_HP_INT, 1, 4, 0, NULL, 1, "branches per block, group 4"},
    {"convblock5", ANAS_HP_CHOICE, 1, 2, 2, cb_choices, 1, "block type, group 5"},
    {"widenfact5", ANAS_HP_FLOAT, 0.5, 0.8, 0, NULL, 0, "widening factor of group 5"},
    {"B5", ANAS_HP_INT, 1, 4, 0, NULL, 1, "branches per block, group 5"},
};

#define N_HP ((int)(sizeof resnet_hps / sizeof resnet_hps[0]))

/* The group (1..5) hyperparameter i belongs to, 0 for the global ones. */
static int group_of(int i)
{
    if (i >= R_IDX(1) && i <= R_IDX(N_GROUPS))
        return i - 1;
    if (i >= CONVBLOCK_IDX(1))
        return (i - CONVBLOCK_IDX(1)) / 3 + 1;
    return 0;
}

static int resnet_is_active(const struct anas_config *cfg, int i)
{
    int j = group_of(i);

    /* Written so that a NaN M leaves every group inactive. */
    return j == 0 || j <= cfg->v[M_IDX];
}

static int resnet_check_shape(const struct anas_shape *shape, struct anas_error *err)
{
    if (shape->c < 1 || shape->c > 64)
        return anas_error_field(err, ANAS_ERANGE, "input",
                                "input channels must be 1..64 (got %d)", shape->c);
    /* The stem takes 4 rows and columns and the pool 7 more. */
    if (shape->h < 12 || shape->h > 4096 || shape->w < 12 || shape->w > 4096)
        return anas_error_field(err, ANAS_ERANGE, "input",
                                "input height and width must be 12..4096 (got %dx%d)",
                                shape->h, shape->w);
    if (shape->classes < 1 || shape->classes > 100000)
        return anas_error_field(err, ANAS_ERANGE, "classes",
                                "classes must be 1..100000 (got %d)", shape->classes);
    return 0;
}

/* CPython's float floor division a // b (floatobject.c), kept exact
 * because floor(a / b) differs at the edges: 8 // 0.8 is 9.0, floor(8 / 0.8)
 * is 10. */
static double py_floordiv(double a, double b)
{
    double mod = fmod(a, b);
    double div = (a - mod) / b;
    double floordiv;

    if (mod != 0 && (b < 0) != (mod < 0))
        div -= 1.0;
    if (div == 0)
        return copysign(0.0, a / b);
    floordiv = floor(div);
    if (div - floordiv > 0.5)
        floordiv += 1.0;
    return floordiv;
}

/* C_m = int(round(C_{m-1} // widenfact_m)); the quotient is integral, so
 * round() changes nothing. */
static int widen(int c, double widenfact)
{
    return (int)py_floordiv((double)c, widenfact);
}

/* The channel widths C_0..C_M into c[], for the layer list and the network
 * alike. Returns M. */
static int widths(const struct anas_config *cfg, int c[N_GROUPS + 1])
{
    int m = (int)cfg->v[M_IDX];

    c[0] = (int)cfg->v[OC0];
    for (int g = 1; g <= m; g++)
        c[g] = widen(c[g - 1], cfg->v[WIDEN_IDX(g)]);
    return m;
}

/* Blocks in group g: max(1, R_g), as AnalogNAS builds Block_1 always. */
static int blocks_of(const struct anas_config *cfg, int g)
{
    return cfg->v[R_IDX(g)] > 1 ? (int)cfg->v[R_IDX(g)] : 1;
}

/* Where layers go: the list, the name prefix ("g1.b2.br3") and the map
 * size, which never changes after the stem. */
struct site {
    struct anas__layers *l;
    const char *prefix;
    int h, w;
};

static int conv(const struct site *at, const char *leaf, int cin, int cout, int k,
                int pad)
{
    char nm[64];

    anas__layers_name(at->l, nm, sizeof nm, "%s.%s", at->prefix, leaf);
    return anas__layers_conv2d(at->l, nm, cin, at->h, at->w, cout, k, 1, pad, 0);
}

static int bn(const struct site *at, const char *leaf, int c)
{
    char nm[64];

    anas__layers_name(at->l, nm, sizeof nm, "%s.%s", at->prefix, leaf);
    return anas__layers_batchnorm(at->l, nm, c, at->h, at->w);
}

static int same(const struct site *at, const char *leaf, const char *kind, int c)
{
    char nm[64];

    anas__layers_name(at->l, nm, sizeof nm, "%s.%s", at->prefix, leaf);
    return anas__layers_same(at->l, nm, kind, c, at->h, at->w);
}

/* ReLU -> conv3x3 -> BN -> ReLU -> conv3x3 -> BN. */
static int add_branch(const struct site *at, int cin, int cout)
{
    int rc;

    if ((rc = same(at, "relu1", "relu", cin)) < 0 ||
        (rc = conv(at, "conv1", cin, cout, 3, 1)) < 0 || (rc = bn(at, "bn1", cout)) < 0 ||
        (rc = same(at, "relu2", "relu", cout)) < 0 ||
        (rc = conv(at, "conv2", cout, cout, 3, 1)) < 0)
        return rc;
    return bn(at, "bn2", cout);
}

/* Channels change: ReLU -> 1x1 conv to floor(cout/2), beside the input
 * shifted by one pixel (no ReLU) -> 1x1 conv to ceil(cout/2); the two are
 * concatenated, then BN. */
static int add_skip(const struct site *at, int cin, int cout)
{
    int rc;

    if ((rc = same(at, "relu", "relu", cin)) < 0 ||
        (rc = conv(at, "conv_a", cin, cout / 2, 1, 0)) < 0 ||
        (rc = same(at, "shift", "shift", cin)) < 0 ||
        (rc = conv(at, "conv_b", cin, cout - cout / 2, 1, 0)) < 0 ||
        (rc = same(at, "concat", "concat", cout)) < 0)
        return rc;
    return bn(at, "bn", cout);
}

/* Block b of group g: the branches, the skip (identity when the channels
 * do not change), and their sum. */
static int add_block(struct anas__layers *l, int g, int b, int branches, int cin,
                     int cout, int h, int w)
{
    char prefix[24], sub[40];
    struct site block = {l, prefix, h, w}, part = {l, sub, h, w};
    int rc;

    anas__layers_name(l, prefix, sizeof prefix, "g%d.b%d", g, b);
    for (int br = 1; br <= branches; br++) {
        anas__layers_name(l, sub, sizeof sub, "%s.br%d", prefix, br);
        if ((rc = add_branch(&part, cin, cout)) < 0)
            return rc;
    }
    if (cin != cout) {
        anas__layers_name(l, sub, sizeof sub, "%s.skip", prefix);
        if ((rc = add_skip(&part, cin, cout)) < 0)
            return rc;
    }
    return same(&block, "add", "add", cout);
}

/* Conv 7x7, stride 1, padding 1, no bias -> BN, with no ReLU: H -> H-4. */
static int add_stem(struct anas__layers *l, const struct anas_shape *in, int c)
{
    int rc = anas__layers_conv2d(l, "stem.conv", in->c, in->h, in->w, c, 7, 1, 1, 0);

    return rc < 0 ? rc : anas__layers_batchnorm(l, "stem.bn", c, in->h - 4, in->w - 4);
}

/* Group g: max(1, R) blocks, the first one widening cin to cout. */
static int add_group(struct anas__layers *l, const struct anas_config *cfg, int g, int cin,
                     int cout, int h, int w)
{
    int blocks = blocks_of(cfg, g);
    int branches = (int)cfg->v[B_IDX(g)];
    int rc = 0;

    for (int b = 1; b <= blocks && rc == 0; b++)
        rc = add_block(l, g, b, branches, b == 1 ? cin : cout, cout, h, w);
    return rc;
}

/* ReLU -> AvgPool 8x8 stride 1 -> flatten -> Linear with bias. */
static int add_head(struct anas__layers *l, int c, int h, int w, int classes)
{
    struct site head = {l, "head", h, w};
    int rc;

    if ((rc = same(&head, "relu", "relu", c)) < 0 ||
        (rc = anas__layers_pool(l, "head.pool", "avgpool", c, h, w, 8, 1)) < 0)
        return rc;
    return anas__layers_linear(l, "head.fc", c, h - 7, w - 7, classes);
}

static int resnet_layers(const struct anas_config *cfg, const struct anas_shape *shape,
                         struct anas__layers *l, struct anas_error *err)
{
    int c[N_GROUPS + 1], m = widths(cfg, c), h = shape->h - 4, w = shape->w - 4;
    int rc = add_stem(l, shape, c[0]);

    (void)err;
    for (int g = 1; g <= m && rc == 0; g++)
        rc = add_group(l, cfg, g, c[g - 1], c[g], h, w);
    return rc < 0 ? rc : add_head(l, c[m], h, w, shape->classes);
}

/* --- the trainable network, named as AnalogNAS's modules ---------------
 *
 * Node names are the PyTorch module paths of AnalogNAS's Network, so that
 * state_dict names follow: the Sequential `blocks` holds Conv_0, BN_0,
 * Group_1..Group_M, ReLU_0 and AveragePool; a ResidualGroup keeps its
 * blocks in the Sequential `group` (Block_1..); a BasicBlock its branches in
 * the ModuleList `branches` (0..B-1) and its SkipConnection as
 * `skip.Skip_connection`; a ResidualBranch is the Sequential
 * `residual_branch` whose children carry the branch number
 * ("Branch_1:Conv_1"). Functional steps (sums, F.relu, the shift,
 * torch.cat) hold no tensors; their names are ours. (Network also holds
 * `blocks` a second time as model.Main_blocks, so its own state_dict repeats
 * every blocks.* tensor under that prefix.) */

#define NAME_LEN 96

/* A node name, formatted into buf; the longest, a branch's ReLU in block
 * 15, has 72 characters. */
static const char *name(char buf[NAME_LEN], const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static const char *name(char buf[NAME_LEN], const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, NAME_LEN, fmt, ap);
    va_end(ap);
    return buf;
}

/* ReLU -> conv3x3 -> BN -> ReLU -> conv3x3 -> BN. Builder calls are
 * chained unchecked: after a failure the netdef refuses every call and
 * keeps the first error. */
static int net_branch(struct anas_netdef *def, int x, const char *block, int br, int cout)
{
    char p[NAME_LEN], nm[NAME_LEN];

    name(p, "%s.branches.%d.residual_branch.Branch_%d:", block, br - 1, br);
    x = anas_netdef_act(def, x, ANAS_OP_RELU, name(nm, "%sReLU_1", p));
    x = anas_netdef_conv2d(def, x, cout, 3, 1, 1, 0, name(nm, "%sConv_1", p));
    x = anas_netdef_batchnorm(def, x, name(nm, "%sBN_1", p));
    x = anas_netdef_act(def, x, ANAS_OP_RELU, name(nm, "%sReLU_2", p));
    x = anas_netdef_conv2d(def, x, cout, 3, 1, 1, 0, name(nm, "%sConv_2", p));
    return anas_netdef_batchnorm(def, x, name(nm, "%sBN_2", p));
}

/* SkipConnection: F.relu -> s1 (1x1 conv to floor(cout/2)) beside the
 * shifted input -> s2 (1x1 conv to ceil(cout/2)); torch.cat, then BN. The
 * AvgPool2d(1, stride) in s1 and s2 are identities at stride 1. */
static int net_skip(struct anas_netdef *def, int x, const char *block, int cout)
{
    char p[NAME_LEN], nm[NAME_LEN];
    int a, b;

    name(p, "%s.skip.Skip_connection.", block);
    a = anas_netdef_act(def, x, ANAS_OP_RELU, name(nm, "%srelu", p));
    a = anas_netdef_conv2d(def, a, cout / 2, 1, 1, 0, 0, name(nm, "%ss1.Skip_1_Conv", p));
    b = anas_netdef_shift(def, x, name(nm, "%sshift", p));
    b = anas_netdef_conv2d(def, b, cout - cout / 2, 1, 1, 0, 0,
                           name(nm, "%ss2.Skip_2_Conv", p));
    x = anas_netdef_concat(def, a, b, name(nm, "%scat", p));
    return anas_netdef_batchnorm(def, x, name(nm, "%sbatch_norm", p));
}

/* BasicBlock: sum([branch(x) ...]) + skip(x), added in Python's order:
 * ((b1 + b2) + b3) + ... then the skip. */
static int net_block(struct anas_netdef *def, int x, int g, int b, int branches, int cin,
                     int cout)
{
    char p[NAME_LEN], nm[NAME_LEN];
    int sum = -1, skip;

    name(p, "blocks.Group_%d.group.Block_%d", g, b);
    for (int br = 1; br <= branches; br++) {
        int y = net_branch(def, x, p, br, cout);
        sum = br == 1 ? y : anas_netdef_add(def, sum, y, name(nm, "%s.sum_%d", p, br));
    }
    skip = cin != cout ? net_skip(def, x, p, cout) : x;
    return anas_netdef_add(def, sum, skip, name(nm, "%s.add_skip", p));
}

static int resnet_build(const struct anas_config *cfg, const struct anas_shape *shape,
                        struct anas_netdef *def)
{
    int c[N_GROUPS + 1], m = widths(cfg, c);
    int x = anas_netdef_conv2d(def, 0, c[0], 7, 1, 1, 0, "blocks.Conv_0");

    x = anas_netdef_batchnorm(def, x, "blocks.BN_0");
    for (int g = 1; g <= m && x >= 0; g++)
        for (int b = 1; b <= blocks_of(cfg, g) && x >= 0; b++)
            x = net_block(def, x, g, b, (int)cfg->v[B_IDX(g)], b == 1 ? c[g - 1] : c[g],
                          c[g]);
    x = anas_netdef_act(def, x, ANAS_OP_RELU, "blocks.ReLU_0");
    x = anas_netdef_pool(def, x, ANAS_OP_AVGPOOL, 8, 1, 0, "blocks.AveragePool");
    return anas_netdef_linear(def, x, shape->classes, 1, "fc");
}

/* AnalogNAS's utils.get_nb_convs: R as written (R = 0 counts none, though
 * one block is built), 2 convs per branch for convblock 1 and 3 for 2. */
static int resnet_metrics(const struct anas_config *cfg, struct anas_metrics *out)
{
    double n = 0;

    for (int j = 1; j <= N_GROUPS && j <= cfg->v[M_IDX]; j++) {
        double per_branch = cfg->v[CONVBLOCK_IDX(j)] == 1 ? 2 : 3;
        n += cfg->v[R_IDX(j)] * cfg->v[B_IDX(j)] * per_branch;
    }
    return anas_metrics_set(out, "nb_convs", n);
}

const struct anas_space anas__space_resnet = {
    .name = "resnet",
    .description = "AnalogNAS's ResNet-like space: a 7x7 stem, M residual groups of R "
                   "blocks of B parallel branches, widened by widenfact per group, no "
                   "downsampling, 8x8 average pool and a fully connected head",
    .n_hp = N_HP,
    .hp = resnet_hps,
    .default_shape = {.c = 3, .h = 32, .w = 32, .classes = 10},
    .is_active = resnet_is_active,
    .validate_extra = NULL,
    .check_shape = resnet_check_shape,
    .layers = resnet_layers,
    .metrics = resnet_metrics,
    .features = anas__features_values,
    .build = resnet_build,
};
