/*
 * autoencoder.c - AnalogNAS PR #6's convolutional autoencoder space
 * ("autoencoder-like", AutoEncoderConfigSpace in
 * analogainas/search_spaces/autoencoder/autoencoder_config_space.py), with
 * its model (AutoEncoder in autoencoder/autoencoder_architecture.py).
 *
 * 25 hyperparameters in AnalogNAS's order: embedding_dim, then depth,
 * kernel_size, filters and stride of encoder_convblock1..3 and of
 * decoder_convblock1..3. Depth is drawn from 1..4 (numpy's randint excludes
 * the 5 of the declared range), hence the size 6 * (4*3*7*2)^6. Every value
 * is always active: AnalogNAS samples all of them. The decoder_* values
 * are never used by the model, which mirrors the encoder instead.
 *
 * The model (AnalogNAS's AutoEncoder): three ConvBlocks, each `depth` x
 * [Conv2d(k, stride on the first conv only, padding k//2, bias) -> ReLU];
 * fc_mu = Linear(flattened code, embedding_dim) and fc_dec back, with no
 * activation; the code is viewed as (C3, h3, w3) again; three DeconvBlocks
 * that take encoder blocks 3, 2, 1 in turn, each `depth` x
 * [ConvTranspose2d(k, stride and output_padding stride-1 on the first
 * layer only, padding k//2, bias) -> ReLU], so the first maps filters3 to
 * filters3; pen_conv = Conv2d(filters1 -> C, 3, padding 1) with no output
 * activation; then, only when the decoded side differs from the input's
 * (strides that do not divide it), fc_out = Linear(C*h'*w', C*H*W) viewed
 * as (C, H, W). The output always has the input's shape.
 *
 * One reading of ours: AnalogNAS creates fc_out even when it never applies
 * it; here it exists only when applied, so params, MACs and tiles describe
 * the network that computes (a PyTorch model that never applies fc_out
 * holds 2 tensors more, which a strict load_state_dict would ask for).
 * Node names are AnalogNAS's module paths: "encoder.0.block.0", "fc_mu",
 * "fc_dec", "decoder.2.block.2", "pen_conv", "fc_out".
 */
#include "config.h"

#include "space/space_int.h"

#include <stdio.h>

#include "nn/net.h"

#define N_BLOCKS 3 /* encoder blocks; as many decoder ones */

/* Indices into the configuration: block b = 0..5 (encoder 1..3 then
 * decoder 1..3). */
enum { EMB = 0 };
#define DEPTH_IDX(b)   (1 + 4 * (b))
#define KERNEL_IDX(b)  (2 + 4 * (b))
#define FILTERS_IDX(b) (3 + 4 * (b))
#define STRIDE_IDX(b)  (4 + 4 * (b))

static const double emb_choices[] = {64, 128, 256, 512, 1024, 2048};
static const double kernel_choices[] = {3, 5, 7};
static const double filter_choices[] = {8, 16, 32, 64, 128, 256, 512};
static const double stride_choices[] = {1, 2};

#define BLOCK_HPS(b, what)                                                               \
    {b "_depth", ANAS_HP_INT, 1, 4, 0, NULL, 1, "convolutions in " what},               \
        {b "_kernel_size", ANAS_HP_CHOICE, 3, 7, 3, kernel_choices, 1,                   \
         "kernel side in " what},                                                        \
        {b "_filters", ANAS_HP_CHOICE, 8, 512, 7, filter_choices, 1,                     \
         "output channels of " what},                                                    \
        {b "_stride", ANAS_HP_CHOICE, 1, 2, 2, stride_choices, 1,                        \
         "stride of the first convolution in " what}

static const struct anas_hp autoencoder_hps[] = {
    {"embedding_dim", ANAS_HP_CHOICE, 64, 2048, 6, emb_choices, 1,
     "width of the linear bottleneck"},
    BLOCK_HPS("encoder_convblock1", "encoder block 1 (mirrored by decoder block 3)"),
    BLOCK_HPS("encoder_convblock2", "encoder block 2 (mirrored by decoder block 2)"),
    BLOCK_HPS("encoder_convblock3", "encoder block 3 (mirrored by decoder block 1)"),
    BLOCK_HPS("decoder_convblock1", "decoder block 1 (unused, as in AnalogNAS)"),
    BLOCK_HPS("decoder_convblock2", "decoder block 2 (unused, as in AnalogNAS)"),
    BLOCK_HPS("decoder_convblock3", "decoder block 3 (unused, as in AnalogNAS)"),
};

#define N_HP ((int)(sizeof autoencoder_hps / sizeof autoencoder_hps[0]))

/* One ConvBlock or DeconvBlock: channels, kernel, stride, depth and the
 * sides before and after it. */
struct block {
    int in_c, out_c, k, stride, depth;
    int h, w, oh, ow;
};

/* The whole model's geometry, worked out once for the layer list and the
 * network alike. */
struct plan {
    struct block enc[N_BLOCKS], dec[N_BLOCKS];
    int code_c, code_h, code_w; /* the encoder's output */
    int emb;
    int need_fc_out; /* the decoded side differs from the input's */
};

/* A 'same'-padded convolution's side: ceil(n / s) for odd kernels. */
static int conv_side(int n, int k, int s)
{
    return (n + 2 * (k / 2) - k) / s + 1;
}

/* A transposed one's with output_padding s - 1: n * s for odd kernels. */
static int convt_side(int n, int k, int s)
{
    return (n - 1) * s - 2 * (k / 2) + k + (s - 1);
}

static void make_plan(const struct anas_config *cfg, const struct anas_shape *shape,
                      struct plan *p)
{
    int c = shape->c, h = shape->h, w = shape->w;

    for (int b = 0; b < N_BLOCKS; b++) {
        struct block *e = &p->enc[b];
        *e = (struct block){.in_c = c,
                            .out_c = (int)cfg->v[FILTERS_IDX(b)],
                            .k = (int)cfg->v[KERNEL_IDX(b)],
                            .stride = (int)cfg->v[STRIDE_IDX(b)],
                            .depth = (int)cfg->v[DEPTH_IDX(b)],
                            .h = h,
                            .w = w};
        e->oh = conv_side(h, e->k, e->stride);
        e->ow = conv_side(w, e->k, e->stride);
        c = e->out_c, h = e->oh, w = e->ow;
    }
    p->code_c = c, p->code_h = h, p->code_w = w;
    p->emb = (int)cfg->v[EMB];
    /* Decoder block i mirrors encoder block N_BLOCKS - 1 - i, taking its
     * output channels, kernel, stride and depth. */
    for (int i = 0; i < N_BLOCKS; i++) {
        const struct block *e = &p->enc[N_BLOCKS - 1 - i];
        struct block *d = &p->dec[i];
        *d = *e;
        d->in_c = c, d->h = h, d->w = w;
        d->oh = convt_side(h, d->k, d->stride);
        d->ow = convt_side(w, d->k, d->stride);
        c = d->out_c, h = d->oh, w = d->ow;
    }
    /* pen_conv keeps the side. */
    p->need_fc_out = h != shape->h || w != shape->w;
}

static int ae_check_shape(const struct anas_shape *shape, struct anas_error *err)
{
    if (shape->c < 1 || shape->c > 64)
        return anas_error_field(err, ANAS_ERANGE, "input",
                                "input channels must be 1..64 (got %d)", shape->c);
    if (shape->h < 1 || shape->h > 4096 || shape->w < 1 || shape->w > 4096)
        return anas_error_field(err, ANAS_ERANGE, "input",
                                "input height and width must be 1..4096 (got %dx%d)",
                                shape->h, shape->w);
    if (shape->classes < 1 || shape->classes > 100000)
        return anas_error_field(err, ANAS_ERANGE, "classes",
                                "classes must be 1..100000 (got %d)", shape->classes);
    return 0;
}

/* --- layer list ---------------------------------------------------------- */

/* Layer j (0-based) of a block and its ReLU: "encoder.0.block.0" and
 * "encoder.0.block.1", as nn.Sequential numbers them. */
static int add_block(struct anas__layers *l, const char *part, int index,
                     const struct block *b, int transposed)
{
    char conv[48], relu[48];
    int c = b->in_c, h = b->h, w = b->w, rc;

    for (int j = 0; j < b->depth; j++) {
        int s = j == 0 ? b->stride : 1, pad = b->k / 2;
        anas__layers_name(l, conv, sizeof conv, "%s.%d.block.%d", part, index, 2 * j);
        anas__layers_name(l, relu, sizeof relu, "%s.%d.block.%d", part, index, 2 * j + 1);
        if (transposed)
            rc = anas__layers_convt2d(l, conv, c, h, w, b->out_c, b->k, s, pad, s - 1, 1);
        else
            rc = anas__layers_conv2d(l, conv, c, h, w, b->out_c, b->k, s, pad, 1);
        if (rc < 0)
            return rc;
        c = b->out_c, h = l->v[l->n - 1].out_h, w = l->v[l->n - 1].out_w;
        if ((rc = anas__layers_same(l, relu, "relu", c, h, w)) < 0)
            return rc;
    }
    return 0;
}

/* fc_mu, fc_dec and the view back to the code's shape. */
static int add_bottleneck(struct anas__layers *l, const struct plan *p)
{
    int code = p->code_c * p->code_h * p->code_w, rc;

    if ((rc = anas__layers_linear(l, "fc_mu", p->code_c, p->code_h, p->code_w, p->emb)) <
            0 ||
        (rc = anas__layers_linear(l, "fc_dec", p->emb, 1, 1, code)) < 0)
        return rc;
    return anas__layers_reshape(l, "view", "reshape", code, 1, 1, p->code_c, p->code_h,
                                p->code_w);
}

/* pen_conv, then fc_out and its view when the decoded side is off. */
static int add_output(struct anas__layers *l, const struct plan *p,
                      const struct anas_shape *in)
{
    const struct block *last = &p->dec[N_BLOCKS - 1];
    int rc = anas__layers_conv2d(l, "pen_conv", last->out_c, last->oh, last->ow, in->c, 3,
                                 1, 1, 1);

    if (rc < 0 || !p->need_fc_out)
        return rc;
    if ((rc = anas__layers_linear(l, "fc_out", in->c, last->oh, last->ow,
                                  in->c * in->h * in->w)) < 0)
        return rc;
    return anas__layers_reshape(l, "view_out", "reshape", in->c * in->h * in->w, 1, 1,
                                in->c, in->h, in->w);
}

static int ae_layers(const struct anas_config *cfg, const struct anas_shape *shape,
                     struct anas__layers *l, struct anas_error *err)
{
    struct plan p;
    int rc = 0;

    (void)err;
    make_plan(cfg, shape, &p);
    for (int b = 0; b < N_BLOCKS && rc == 0; b++)
        rc = add_block(l, "encoder", b, &p.enc[b], 0);
    if (rc == 0)
        rc = add_bottleneck(l, &p);
    for (int b = 0; b < N_BLOCKS && rc == 0; b++)
        rc = add_block(l, "decoder", b, &p.dec[b], 1);
    return rc < 0 ? rc : add_output(l, &p, shape);
}

/* --- the network ----------------------------------------------------------
 * Calls are chained unchecked: a failed one poisons the netdef, which then
 * refuses the rest. */

static int net_block(struct anas_netdef *def, int x, const char *part, int index,
                     const struct block *b, int transposed)
{
    char nm[48];

    for (int j = 0; j < b->depth; j++) {
        int s = j == 0 ? b->stride : 1, pad = b->k / 2;
        snprintf(nm, sizeof nm, "%s.%d.block.%d", part, index, 2 * j);
        x = transposed ? anas_netdef_convt2d(def, x, b->out_c, b->k, s, pad, s - 1, 1, nm)
                       : anas_netdef_conv2d(def, x, b->out_c, b->k, s, pad, 1, nm);
        snprintf(nm, sizeof nm, "%s.%d.block.%d", part, index, 2 * j + 1);
        x = anas_netdef_act(def, x, ANAS_OP_RELU, nm);
    }
    return x;
}

/* A tensor read in another shape, as PyTorch's view(). */
static int view(struct anas_netdef *def, int x, int c, int h, int w, const char *name)
{
    return anas_netdef_reshape(def, x, c, h, w, name);
}

static int ae_build(const struct anas_config *cfg, const struct anas_shape *shape,
                    struct anas_netdef *def)
{
    struct plan p;
    int x = 0;

    make_plan(cfg, shape, &p);
    for (int b = 0; b < N_BLOCKS; b++)
        x = net_block(def, x, "encoder", b, &p.enc[b], 0);
    /* Linear nodes read their input flattened, as torch.flatten does. */
    x = anas_netdef_linear(def, x, p.emb, 1, "fc_mu");
    x = anas_netdef_linear(def, x, p.code_c * p.code_h * p.code_w, 1, "fc_dec");
    x = view(def, x, p.code_c, p.code_h, p.code_w, "view");
    if (x < 0)
        return x; /* a refusal of view() itself leaves the netdef healthy */
    for (int b = 0; b < N_BLOCKS; b++)
        x = net_block(def, x, "decoder", b, &p.dec[b], 1);
    x = anas_netdef_conv2d(def, x, shape->c, 3, 1, 1, 1, "pen_conv");
    if (!p.need_fc_out)
        return x;
    x = anas_netdef_linear(def, x, shape->c * shape->h * shape->w, 1, "fc_out");
    return view(def, x, shape->c, shape->h, shape->w, "view_out");
}

const struct anas_space anas__space_autoencoder = {
    .name = "autoencoder",
    .description = "AnalogNAS's convolutional autoencoder (PR #6): three conv blocks, a "
                   "linear bottleneck and a transposed-conv decoder mirroring the "
                   "encoder; the decoder_* hyperparameters are sampled but unused, as "
                   "in AnalogNAS",
    .n_hp = N_HP,
    .hp = autoencoder_hps,
    .default_shape = {.c = 3, .h = 32, .w = 32, .classes = 10},
    .is_active = NULL,
    .validate_extra = NULL,
    .check_shape = ae_check_shape,
    .layers = ae_layers,
    .metrics = NULL,
    .features = NULL,
    .build = ae_build,
};
