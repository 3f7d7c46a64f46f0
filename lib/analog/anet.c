/*
 * anet.c - a whole network on analog tiles: every conv2d and linear node
 * of a net gets an analog layer, served through the net's weight-product
 * override, the way aihwkit's convert_to_analog swaps nn.Conv2d and
 * nn.Linear for their analog versions and leaves the rest digital.
 *
 * The net keeps owning the trained (clean, digital-unit) weights; the
 * layers copy them when the mode changes. In hardware-aware training the
 * forward runs on the modifier's weights and backward's input gradients
 * flow through the same weights (the net's backward parameters, `fb`), so
 * the optimizer updates the clean weights with a straight-through
 * gradient, as aihwkit's InferenceRPUConfig does.
 *
 * The bias: during HWA training it is added here, digitally, from the
 * net's current parameters (the optimizer changes it every step); for
 * inference it is handed to the layer, which puts it on the tile when the
 * configuration asks for an analog bias.
 */
#include "config.h"

#include "analog/analog.h"
#include "analog/periph.h"
#include "analog/pulsed_int.h"

#include <string.h>

#include "core/alloc.h"
#include "tensor/tensor.h"

#define NONE ((size_t)-1)

/* Analog training (ANAS_ANET_PULSED): the layer's pulsed tile and the
 * vectors of the current mini-batch, which the tile's update takes after
 * the optimizer step, as aihwkit's AnalogSGD does. */
struct pulsed_ref {
    struct anas__pgrid *t;
    float *x, *d;       /* (m, n), (md, d) */
    size_t cap_x, cap_d; /* in vectors */
    int m, md;
    float *col;         /* (n, P) conv backward columns */
    size_t cap_col;
};

struct alayer_ref {
    int node;
    struct anas_net_layer info;
    struct anas_alayer *L;
    struct pulsed_ref p;
    struct anas__periph *pp; /* learned out scaling, input range (periph.h) */
};

struct anas_anet {
    struct anas_net *net;
    struct anas_analog_config cfg;
    struct anas_rng rng;
    enum anas_anet_mode mode;
    int n;                  /* analog layers */
    struct alayer_ref *lay; /* (n) */
    int *of_node;           /* node -> index in lay, or -1 */
    int n_nodes;
    float *fb;              /* (n_params): backward's weights in HWA mode */
    size_t n_params;
    int programmed, drifted;
    int has_training;       /* pulsed tiles made (anas_anet_set_training) */
    int pulsed_loaded;      /* they hold the net's weights */
    float lr;               /* of the pulsed update */
};

static int count_layers(struct anas_net *net, int n_nodes)
{
    struct anas_net_layer info;
    int n = 0;

    for (int i = 1; i < n_nodes; i++)
        if (anas_net_layer(net, i, &info) == 0 && info.d > 0 && info.weight != NONE)
            n++;
    return n;
}

static int make_layers(struct anas_anet *an, struct anas_error *err)
{
    int k = 0;

    for (int i = 0; i < an->n_nodes; i++)
        an->of_node[i] = -1;
    for (int i = 1; i < an->n_nodes; i++) {
        struct alayer_ref *r = &an->lay[k];

        if (anas_net_layer(an->net, i, &r->info) < 0 || r->info.d <= 0 ||
            r->info.weight == NONE)
            continue;
        r->node = i;
        r->L = anas_alayer_new(r->info.d, r->info.n, &an->cfg, err);
        if (!r->L)
            return err && err->code ? err->code : ANAS_ENOMEM;
        if (anas__periph_wanted(&an->cfg) &&
            !(r->pp = anas__periph_new(r->info.d, r->info.n, &an->cfg)))
            return anas_error_set(err, ANAS_ENOMEM, "out of memory");
        an->of_node[i] = k++;
    }
    return 0;
}

struct anas_anet *anas_anet_new(struct anas_net *net, const struct anas_analog_config *cfg,
                                uint64_t seed, struct anas_error *err)
{
    struct anas_anet *an;
    int rc;

    if (!net || !cfg) {
        anas_error_set(err, ANAS_EINVAL, "no net or no hardware configuration");
        return NULL;
    }
    if (anas_analog_config_check(cfg, err) < 0)
        return NULL;
    an = anas_calloc(1, sizeof *an);
    if (!an) {
        anas_error_set(err, ANAS_ENOMEM, "out of memory");
        return NULL;
    }
    an->net = net;
    an->cfg = *cfg;
    anas_rng_seed(&an->rng, seed);
    an->n_nodes = anas_netdef_n_nodes(anas_net_def(net));
    an->n = count_layers(net, an->n_nodes);
    anas_net_params(net, &an->n_params);
    an->lay = anas_calloc((size_t)(an->n ? an->n : 1), sizeof *an->lay);
    an->of_node = anas_calloc((size_t)an->n_nodes, sizeof *an->of_node);
    an->fb = anas_calloc(an->n_params ? an->n_params : 1, sizeof *an->fb);
    if (!an->lay || !an->of_node || !an->fb) {
        anas_error_set(err, ANAS_ENOMEM, "out of memory");
        anas_anet_free(an);
        return NULL;
    }
    rc = make_layers(an, err);
    if (rc < 0) {
        if (err && !err->code)
            anas_error_set(err, rc, "cannot make the analog layers");
        anas_anet_free(an);
        return NULL;
    }
    return an;
}

static void detach(struct anas_anet *an)
{
    for (int k = 0; k < an->n; k++)
        anas_net_set_mvm(an->net, an->lay[k].node, NULL);
    anas_net_set_backward_params(an->net, NULL);
}

void anas_anet_free(struct anas_anet *an)
{
    if (!an)
        return;
    if (an->lay) {
        detach(an);
        for (int k = 0; k < an->n; k++) {
            struct pulsed_ref *p = &an->lay[k].p;

            anas_alayer_free(an->lay[k].L);
            anas__periph_free(an->lay[k].pp);
            anas__pgrid_free(p->t);
            anas_free(p->x);
            anas_free(p->d);
            anas_free(p->col);
        }
    }
    anas_free(an->lay);
    anas_free(an->of_node);
    anas_free(an->fb);
    anas_free(an);
}

/* Room for want vectors of len floats in *buf (capacity *cap vectors). */
static int grow(float **buf, size_t *cap, size_t want, size_t len)
{
    float *q;

    if (want <= *cap)
        return 0;
    want = want > 2 * *cap ? want : 2 * *cap;
    q = anas_realloc(*buf, want * len * sizeof *q);
    if (!q)
        return ANAS_ENOMEM;
    *buf = q;
    *cap = want;
    return 0;
}

/* Keep a training forward's M input vectors, as rows. */
static int capture_x(struct pulsed_ref *p, int n, const float *X, int M, int cols, int ldx)
{
    int rc = grow(&p->x, &p->cap_x, (size_t)p->m + M, (size_t)n);

    if (rc < 0)
        return rc;
    for (int v = 0; v < M; v++) {
        float *row = p->x + ((size_t)p->m + v) * n;

        if (cols)
            for (int j = 0; j < n; j++)
                row[j] = X[(size_t)j * ldx + v];
        else
            memcpy(row, X + (size_t)v * ldx, (size_t)n * sizeof *row);
    }
    p->m += M;
    return 0;
}

static int pulsed_forward(struct anas_anet *an, struct alayer_ref *r, const float *X, int M,
                          int cols, int ldx, float *Y, int ldy, int training)
{
    int rc = anas__pgrid_forward(r->p.t, X, M, cols, ldx, Y, ldy);

    if (rc == 0 && r->info.bias != NONE)
        anas__analog_add_bias(Y, ldy, anas_net_params(an->net, NULL) + r->info.bias, r->info.d,
                              M, cols);
    if (rc == 0 && training)
        rc = capture_x(&r->p, r->info.n, X, M, cols, ldx);
    return rc;
}

/* The output gradient's vectors as rows: linear dY (B, d); conv2d dY
 * (B, d, P), a vector per sample and pixel, in im2col's order. */
static int capture_d(struct pulsed_ref *p, int d, const float *dY, int B, int P)
{
    int rc = grow(&p->d, &p->cap_d, (size_t)p->md + (size_t)B * P, (size_t)d);

    if (rc < 0)
        return rc;
    for (int b = 0; b < B; b++)
        for (int q = 0; q < P; q++) {
            float *row = p->d + ((size_t)p->md + (size_t)b * P + q) * d;

            for (int o = 0; o < d; o++)
                row[o] = dY[((size_t)b * d + o) * P + q];
        }
    p->md += B * P;
    return 0;
}

/* The analog backward of conv2d: per sample, the tile's backward of its
 * (d, P) output gradient gives the (n, P) column gradient, which col2im
 * adds onto the input's. */
static int conv_backward(struct alayer_ref *r, const float *dY, float *dX, int acc, int B,
                         int P)
{
    const struct anas_net_layer *i = &r->info;
    size_t img = (size_t)i->c * i->h * i->w;
    int rc = grow(&r->p.col, &r->p.cap_col, (size_t)P, (size_t)i->n);

    for (int b = 0; rc == 0 && b < B; b++) {
        rc = anas__pgrid_backward(r->p.t, dY + (size_t)b * i->d * P, P, 1, P, r->p.col, P, 0);
        if (rc < 0)
            break;
        if (!acc)
            memset(dX + b * img, 0, img * sizeof *dX);
        anas_tensor_col2im(dX + b * img, r->p.col, P, i->c, i->h, i->w, i->k, i->stride,
                           i->pad);
    }
    return rc;
}

static int pulsed_backward(void *ctx, int node, const float *dY, float *dX, int acc, int B)
{
    struct anas_anet *an = ctx;
    struct alayer_ref *r;
    int P, rc;

    if (node < 0 || node >= an->n_nodes || an->of_node[node] < 0 || B < 1)
        return ANAS_EINVAL;
    r = &an->lay[an->of_node[node]];
    /* the forward's vectors not taken yet by an update: this batch's last */
    P = (r->p.m - r->p.md) / B;
    if (P < 1 || (r->p.m - r->p.md) % B)
        return ANAS_ESTATE;
    if ((rc = capture_d(&r->p, r->info.d, dY, B, P)) < 0 || !dX)
        return rc;
    if (r->info.op != ANAS_OP_LINEAR)
        return conv_backward(r, dY, dX, acc, B, P);
    return anas__pgrid_backward(r->p.t, dY, B, 0, r->info.d, dX, r->info.n, acc);
}

static int forward(void *ctx, int node, const float *X, int M, int cols, int ldx, float *Y,
                   int ldy, int training)
{
    struct anas_anet *an = ctx;
    struct alayer_ref *r;
    enum anas_alayer_weights which = ANAS_ALAYER_CLEAN;
    int rc;

    if (node < 0 || node >= an->n_nodes || an->of_node[node] < 0)
        return ANAS_EINVAL;
    r = &an->lay[an->of_node[node]];
    if (an->mode == ANAS_ANET_PULSED)
        return pulsed_forward(an, r, X, M, cols, ldx, Y, ldy, training);
    if (an->mode == ANAS_ANET_HWA && training)
        which = ANAS_ALAYER_MODIFIED;
    else if (an->mode == ANAS_ANET_ANALOG && an->drifted)
        which = ANAS_ALAYER_DRIFTED;
    if (r->pp)
        rc = anas__periph_forward(r->pp, r->L, which, X, M, cols, ldx, Y, ldy,
                                  training && an->mode == ANAS_ANET_HWA, &an->rng);
    else
        rc = anas_alayer_forward(r->L, which, X, M, cols, ldx, Y, ldy, &an->rng);
    if (rc == 0 && (an->mode == ANAS_ANET_HWA || r->pp) && r->info.bias != NONE)
        anas__analog_add_bias(Y, ldy, anas_net_params(an->net, NULL) + r->info.bias, r->info.d,
                              M, cols);
    return rc;
}

/* Load the net's current weights into the layers (bias on the layer for
 * inference only, see the top). */
static int load_weights(struct anas_anet *an, int with_bias)
{
    const float *p = anas_net_params(an->net, NULL);

    for (int k = 0; k < an->n; k++) {
        const struct anas_net_layer *i = &an->lay[k].info;
        const float *bias =
            with_bias && !an->lay[k].pp && i->bias != NONE ? p + i->bias : NULL;
        int rc = anas_alayer_set_weights(an->lay[k].L, p + i->weight, bias);

        if (rc < 0)
            return rc;
    }
    an->programmed = an->drifted = 0;
    return 0;
}

/* HWA training with a learned periphery: its backward (periph.h). */
static int periph_backward(void *ctx, int node, const float *dY, float *dX, int acc, int B)
{
    struct anas_anet *an = ctx;
    struct alayer_ref *r;

    if (node < 0 || node >= an->n_nodes || an->of_node[node] < 0)
        return ANAS_EINVAL;
    r = &an->lay[an->of_node[node]];
    return anas__periph_backward(r->pp, &r->info, an->fb + r->info.weight,
                                 anas_net_grads(an->net, NULL) + r->info.weight, dY, dX, acc,
                                 B);
}

static int attach(struct anas_anet *an)
{
    struct anas_net_mvm mvm = {forward, an, NULL};

    if (an->mode == ANAS_ANET_PULSED)
        mvm.backward = pulsed_backward;
    else if (an->mode == ANAS_ANET_HWA && an->n > 0 && an->lay[0].pp)
        mvm.backward = periph_backward;

    for (int k = 0; k < an->n; k++) {
        int rc = anas_net_set_mvm(an->net, an->lay[k].node, &mvm);

        if (rc < 0)
            return rc;
    }
    return 0;
}

/* The net's weights onto the pulsed tiles (clipped into the devices'
 * bounds), and the tiles' weights back into the net. */
static int load_pulsed(struct anas_anet *an)
{
    float *p = anas_net_params(an->net, NULL);

    for (int k = 0; k < an->n; k++) {
        struct alayer_ref *r = &an->lay[k];
        int rc = anas__pgrid_set_weights(r->p.t, p + r->info.weight);

        if (rc == 0)
            rc = anas__pgrid_get_weights(r->p.t, p + r->info.weight);
        if (rc < 0)
            return rc;
        r->p.m = r->p.md = 0;
    }
    return 0;
}

int anas_anet_set_training(struct anas_anet *an, const struct anas_analog_training *tc,
                           struct anas_error *err)
{
    if (!an || !tc)
        return anas_error_set(err, ANAS_EINVAL, "no analog training configuration");
    if (an->has_training)
        return anas_error_set(err, ANAS_ESTATE, "the pulsed tiles are made already");
    for (int k = 0; k < an->n; k++) {
        struct alayer_ref *r = &an->lay[k];

        r->p.t = anas__pgrid_new(r->info.d, r->info.n, tc, &an->rng, err);
        if (!r->p.t)
            return err && err->code ? err->code : ANAS_ENOMEM;
    }
    an->has_training = 1;
    return 0;
}

void anas_anet_set_lr(struct anas_anet *an, float lr)
{
    if (an)
        an->lr = lr;
}

/* After the optimizer step: each tile updates itself from the batch's
 * vectors (the optimizer's step of its weights is overwritten), then
 * diffusion and decay; the net gets the tiles' weights. */
static int pulsed_step(struct anas_anet *an)
{
    float *p = anas_net_params(an->net, NULL);

    for (int k = 0; k < an->n; k++) {
        struct alayer_ref *r = &an->lay[k];
        int m = r->p.md < r->p.m ? r->p.md : r->p.m, rc;

        rc = anas__pgrid_update(r->p.t, r->p.x, r->p.d, m, an->lr);
        if (rc == 0)
            rc = anas__pgrid_post_step(r->p.t);
        if (rc == 0)
            rc = anas__pgrid_get_weights(r->p.t, p + r->info.weight);
        if (rc < 0)
            return rc;
        r->p.m = r->p.md = 0;
    }
    return 0;
}

/* Leaving HWA training: the learned out scales go into the net's
 * weights, which are then the whole product (digital use, inference). */
static void fold_alpha(struct anas_anet *an)
{
    float *p = anas_net_params(an->net, NULL);

    for (int k = 0; k < an->n; k++)
        anas__periph_fold(an->lay[k].pp, p + an->lay[k].info.weight);
}

int anas_anet_set_mode(struct anas_anet *an, enum anas_anet_mode mode)
{
    int rc = 0;

    if (!an || (unsigned)mode > ANAS_ANET_PULSED)
        return ANAS_EINVAL;
    if (mode == ANAS_ANET_PULSED && !an->has_training)
        return ANAS_ESTATE;
    detach(an);
    if (an->mode == ANAS_ANET_HWA && mode != ANAS_ANET_HWA)
        fold_alpha(an);
    an->mode = mode;
    if (mode == ANAS_ANET_DIGITAL)
        return 0;
    if (mode == ANAS_ANET_PULSED) {
        /* once: the tiles keep their state (Tiki-Taka's hidden A) across a
         * look at the weights in another mode, and the net mirrors them */
        if (!an->pulsed_loaded && (rc = load_pulsed(an)) == 0)
            an->pulsed_loaded = 1;
        if (rc == 0)
            rc = attach(an);
        if (rc < 0)
            detach(an);
        return rc;
    }
    rc = load_weights(an, mode == ANAS_ANET_ANALOG);
    if (rc == 0 && mode == ANAS_ANET_HWA) {
        /* backward runs through the clean weights until the first step
         * draws modified ones, as aihwkit's first mini-batch does */
        memcpy(an->fb, anas_net_params(an->net, NULL), an->n_params * sizeof *an->fb);
        anas_net_set_backward_params(an->net, an->fb);
    }
    if (rc == 0)
        rc = attach(an);
    if (rc < 0)
        detach(an);
    return rc;
}

int anas_anet_post_step(struct anas_anet *an)
{
    float *p;

    if (!an)
        return ANAS_EINVAL;
    if (an->mode == ANAS_ANET_PULSED)
        return pulsed_step(an);
    if (an->mode != ANAS_ANET_HWA)
        return ANAS_ESTATE;
    p = anas_net_params(an->net, NULL);
    for (int k = 0; k < an->n; k++)
        anas__periph_step(an->lay[k].pp, an->lr);
    /* what is not on a tile (biases, batch norm) passes through unchanged */
    memcpy(an->fb, p, an->n_params * sizeof *an->fb);
    for (int k = 0; k < an->n; k++) {
        size_t w = an->lay[k].info.weight;
        int rc = anas_alayer_post_step(an->lay[k].L, p + w, an->fb + w, &an->rng);

        if (rc < 0)
            return rc;
    }
    return 0;
}

int anas_anet_program(struct anas_anet *an)
{
    int rc;

    if (!an)
        return ANAS_EINVAL;
    if (an->mode != ANAS_ANET_ANALOG && (rc = anas_anet_set_mode(an, ANAS_ANET_ANALOG)) < 0)
        return rc;
    for (int k = 0; k < an->n; k++)
        if ((rc = anas_alayer_program(an->lay[k].L, &an->rng)) < 0)
            return rc;
    an->programmed = 1;
    an->drifted = 0;
    return 0;
}

int anas_anet_drift(struct anas_anet *an, double t)
{
    int rc;

    if (!an || !(t >= 0))
        return ANAS_EINVAL;
    if (!an->programmed && (rc = anas_anet_program(an)) < 0)
        return rc;
    for (int k = 0; k < an->n; k++)
        if ((rc = anas_alayer_drift(an->lay[k].L, t, &an->rng)) < 0)
            return rc;
    an->drifted = 1;
    return 0;
}

int anas_anet_n_layers(const struct anas_anet *an)
{
    return an ? an->n : 0;
}

int anas_anet_n_tiles(const struct anas_anet *an)
{
    int n = 0;

    for (int k = 0; an && k < an->n; k++)
        n += anas_alayer_n_tiles(an->lay[k].L);
    return n;
}
