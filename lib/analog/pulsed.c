/*
 * pulsed.c - a tile of pulsed devices: IO-managed forward and backward,
 * and the pulsed update of aihwkit's CPU engine
 * (src/rpucuda/rpu_weight_updater.cpp, sparse_bit_line_maker.cpp,
 * rpu_vector_device.cpp, rpu_transfer_device.cpp); doc/analog-model.md
 * has the formulas.
 *
 * The update is per sample, as the CPU engine's, but not its scalar loop
 * over BL slots and active lines: every line's pulse train is drawn at
 * once as a bit mask (bit t = a pulse in slot t), and the coincidences of
 * x line j and d line i are popcount(x_j & d_i). Within one sample all
 * coincidences of a weight have one sign (sign d_i * sign x_j), so
 * applying them in a row, each with its own noise and clip, is what the
 * slot-by-slot engine does to that weight.
 */
#include "config.h"

#include "analog/pulsed_int.h"

#include <math.h>
#include <string.h>

#include "core/alloc.h"

#define MAX_WORDS 16 /* desired_bl <= 1024 */

struct anas_ptile {
    struct anas_analog_training tc;
    int d, n, n_units;
    struct anas__punit u[ANAS_PULSED_MAX_UNITS];
    float gam[ANAS_PULSED_MAX_UNITS];
    float dw;         /* granularity of the update */
    float dw_c;       /* Tiki-Taka's C alone (its transfer updates) */
    float *W, *WT;    /* visible weights (d, n) and their transpose */
    float *Wbuf;      /* W's own memory; W is the unit's when it alone is visible */
    float *p, *q;     /* per-line pulse probabilities (n), (d) */
    uint64_t *xm, *dm; /* pulse trains (n, words), (d, words) */
    int *xact, *dact; /* active x and d lines */
    int *touched;     /* counts set by the last sample */
    int n_touched;
    int *counts;      /* (d, n) of the last sample */
    float *e, *v, *G; /* transfer input (n), read (d); FP gradient (d, n) */
    struct anas_rng rng;
    float *gtab;
    struct anas__gauss g;
    struct anas__io_state fio, bio, tio;
    struct anas__ws ws;
    long counter;     /* update cycles (samples) since set_weights */
    int slice, seq_idx, has_counts;
};

void anas_ptile_free(struct anas_ptile *t)
{
    if (!t)
        return;
    for (int k = 0; k < t->n_units; k++)
        anas__punit_fini(&t->u[k]);
    anas_free(t->Wbuf);
    anas_free(t->WT);
    anas_free(t->p);
    anas_free(t->q);
    anas_free(t->xm);
    anas_free(t->dm);
    anas_free(t->xact);
    anas_free(t->dact);
    anas_free(t->touched);
    anas_free(t->counts);
    anas_free(t->e);
    anas_free(t->v);
    anas_free(t->G);
    anas_free(t->gtab);
    anas__ws_fini(&t->ws);
    anas_free(t);
}

static void set_gammas(struct anas_ptile *t)
{
    const struct anas_analog_device *dv = &t->tc.device;

    for (int k = 0; k < t->n_units; k++) {
        if (dv->n_gamma)
            t->gam[k] = dv->gamma_vec[k];
        else if (dv->compound == ANAS_COMPOUND_TRANSFER)
            /* gamma^(n-1-k): [gamma, 1] for two devices, 0^0 = 1 */
            t->gam[k] = k == t->n_units - 1 ? 1.0f : powf(dv->gamma, (float)(t->n_units - 1 - k));
        else
            t->gam[k] = 1.0f / (float)t->n_units;
    }
}

static int alloc_all(struct anas_ptile *t)
{
    size_t dn = (size_t)t->d * t->n;

    t->W = t->Wbuf = anas_calloc(dn, sizeof *t->W);
    t->WT = anas_calloc(dn, sizeof *t->WT);
    t->G = anas_calloc(dn, sizeof *t->G);
    t->counts = anas_calloc(dn, sizeof *t->counts);
    t->p = anas_calloc((size_t)t->n, sizeof *t->p);
    t->e = anas_calloc((size_t)t->n, sizeof *t->e);
    t->xact = anas_calloc((size_t)t->n, sizeof *t->xact);
    t->dact = anas_calloc((size_t)t->d, sizeof *t->dact);
    t->touched = anas_calloc(dn, sizeof *t->touched);
    t->q = anas_calloc((size_t)t->d, sizeof *t->q);
    t->v = anas_calloc((size_t)t->d, sizeof *t->v);
    t->xm = anas_calloc((size_t)t->n * MAX_WORDS, sizeof *t->xm);
    t->dm = anas_calloc((size_t)t->d * MAX_WORDS, sizeof *t->dm);
    t->gtab = anas__gauss_table_new();
    return t->W && t->WT && t->G && t->counts && t->p && t->e && t->xact && t->dact &&
                   t->touched && t->q && t->v &&
                   t->xm && t->dm && t->gtab
               ? 0
               : ANAS_ENOMEM;
}

struct anas_ptile *anas_ptile_new(int d, int n, const struct anas_analog_training *tc,
                                  uint64_t seed, struct anas_error *err)
{
    struct anas_ptile *t;

    if (d < 1 || n < 1 || (size_t)d * n > (size_t)1 << 28) {
        anas_error_set(err, ANAS_EINVAL, "bad tile size %d x %d", d, n);
        return NULL;
    }
    if (anas_pulsed_check(tc, err) < 0)
        return NULL;
    t = anas_calloc(1, sizeof *t);
    if (!t) {
        anas_error_set(err, ANAS_ENOMEM, "out of memory");
        return NULL;
    }
    t->tc = *tc;
    t->d = d;
    t->n = n;
    t->fio.nm_avg = t->bio.nm_avg = t->tio.nm_avg = -1.0f;
    anas_rng_seed(&t->rng, seed);
    if (alloc_all(t) < 0)
        goto oom;
    for (int k = 0; k < tc->device.n_units; k++) {
        if (anas__punit_init(&t->u[k], &tc->device.unit[k], (size_t)d * n, &t->rng) < 0)
            goto oom;
        t->n_units = k + 1;
    }
    anas__gauss_seed(&t->g, t->gtab, &t->rng);
    t->dw = anas_pulsed_granularity(&tc->device);
    if (tc->device.compound == ANAS_COMPOUND_TRANSFER) {
        struct anas_analog_device c = {.compound = ANAS_COMPOUND_SINGLE, .n_units = 1};

        c.unit[0] = tc->device.unit[1];
        t->dw_c = anas_pulsed_granularity(&c);
    }
    set_gammas(t);
    return t;
oom:
    anas_ptile_free(t);
    anas_error_set(err, ANAS_ENOMEM, "out of memory");
    return NULL;
}

static void reduce(struct anas_ptile *t)
{
    size_t dn = (size_t)t->d * t->n;
    int only = -1, n_seen = 0;

    /* one visible unit at weight 1 (a single device, or Tiki-Taka's C with
     * gamma 0): its weights are W, not copied after every mini-batch (a
     * megabyte for 512 x 512) */
    for (int k = 0; k < t->n_units; k++)
        if (t->gam[k] != 0.0f)
            only = k, n_seen++;
    if (n_seen == 1 && t->gam[only] == 1.0f) {
        t->W = t->u[only].w;
        return;
    }
    t->W = t->Wbuf;
    memset(t->W, 0, dn * sizeof *t->W);
    for (int k = 0; k < t->n_units; k++)
        if (t->gam[k] != 0.0f)
            for (size_t i = 0; i < dn; i++)
                t->W[i] += t->gam[k] * t->u[k].w[i];
}

int anas_ptile_set_weights(struct anas_ptile *t, const float *W)
{
    if (!t || !W)
        return ANAS_EINVAL;
    if (t->tc.device.compound == ANAS_COMPOUND_TRANSFER) {
        float gl = t->gam[t->n_units - 1];
        size_t dn = (size_t)t->d * t->n;

        for (int k = 0; k < t->n_units - 1; k++)
            memset(t->u[k].w, 0, dn * sizeof(float));
        for (size_t i = 0; i < dn; i++)
            t->G[i] = gl != 0.0f ? W[i] / gl : W[i];
        anas__punit_set(&t->u[t->n_units - 1], t->G);
    } else {
        for (int k = 0; k < t->n_units; k++)
            anas__punit_set(&t->u[k], W);
    }
    t->counter = 0;
    t->slice = 0;
    t->seq_idx = t->tc.device.first_update_idx;
    reduce(t);
    return 0;
}

int anas_ptile_get_weights(const struct anas_ptile *t, float *W)
{
    if (!t || !W)
        return ANAS_EINVAL;
    memcpy(W, t->W, (size_t)t->d * t->n * sizeof *W);
    return 0;
}

const float *anas_ptile_unit_weights(const struct anas_ptile *t, int k)
{
    return t && k >= 0 && k < t->n_units ? t->u[k].w : NULL;
}

/* --- forward, backward --- */

static struct anas__gauss *gen(struct anas_ptile *t, const struct anas_analog_io *io)
{
    return anas__io_is_random(io) ? &t->g : NULL;
}

int anas_ptile_forward(struct anas_ptile *t, const float *X, int M, int cols, int ldx,
                       float *Y, int ldy)
{
    struct anas__mvm w;
    struct anas__mvm_io b = {X, M, !!cols, ldx, Y, ldy, 1.0f, NULL, 0};

    if (!t || !X || !Y || M < 0)
        return ANAS_EINVAL;
    w = (struct anas__mvm){t->W, t->d, t->n, 0};
    return anas__io_forward(&t->tc.forward, &t->fio, &w, &b, &t->ws, gen(t, &t->tc.forward));
}

int anas_ptile_backward(struct anas_ptile *t, const float *D, int M, int cols, int ldd,
                        float *DX, int lddx)
{
    struct anas_analog_io io;
    struct anas__mvm w;
    struct anas__mvm_io b = {D, M, !!cols, ldd, DX, lddx, 1.0f, NULL, 0};

    if (!t || !D || !DX || M < 0)
        return ANAS_EINVAL;
    for (int i = 0; i < t->d; i++)
        for (int j = 0; j < t->n; j++)
            t->WT[(size_t)j * t->d + i] = t->W[(size_t)i * t->n + j];
    io = t->tc.backward;
    io.bound_management = ANAS_BM_NONE; /* "ignored in backward" */
    w = (struct anas__mvm){t->WT, t->n, t->d, 0};
    return anas__io_forward(&io, &t->bio, &w, &b, &t->ws, gen(t, &io));
}

/* --- the pulsed update of one sample --- */

static float amax(const float *v, int n)
{
    float m = 0.0f;

    for (int i = 0; i < n; i++)
        m = fmaxf(m, fabsf(v[i]));
    return m;
}

/* Bernoulli trains of BL slots for lines of probabilities pr. */
static void trains(struct anas_ptile *t, const float *pr, int n, int BL, int words,
                   uint64_t *mask)
{
    float u[64];

    for (int j = 0; j < n; j++) {
        uint64_t *m = mask + (size_t)j * words;

        memset(m, 0, (size_t)words * sizeof *m);
        if (pr[j] <= 0.0f)
            continue;
        for (int w = 0; w < words; w++) {
            int slots = BL - 64 * w < 64 ? BL - 64 * w : 64;

            if (pr[j] >= 1.0f) {
                m[w] = slots == 64 ? ~(uint64_t)0 : (((uint64_t)1 << slots) - 1);
                continue;
            }
            anas__uniform_fill(&t->g, u, (size_t)slots);
            for (int s = 0; s < slots; s++)
                m[w] |= (uint64_t)(u[s] < pr[j]) << s;
        }
    }
}

static float quant(float v, float res)
{
    return res > 0.0f ? rintf(v / res) * res : v;
}

/* The coincidence count of weight (i, j), unsigned. */
static int count_of(const struct anas_ptile *t, int i, int j, int BL, int words)
{
    const struct anas_pulsed_update *up = &t->tc.update;

    if (up->pulse_type == ANAS_PULSE_STOCHASTIC_COMPRESSED) {
        const uint64_t *a = t->dm + (size_t)i * words, *b = t->xm + (size_t)j * words;
        int c = 0;

        for (int w = 0; w < words; w++)
            c += __builtin_popcountll(a[w] & b[w]);
        return c;
    }
    if (up->pulse_type == ANAS_PULSE_DETERMINISTIC_IMPLICIT)
        return (int)rintf((float)BL * fminf(t->p[j], 1.0f) * fminf(t->q[i], 1.0f));
    /* MEAN_COUNT */
    {
        float cx = rintf((float)BL * fminf(t->p[j], 1.0f));
        float cd = rintf((float)BL * fminf(t->q[i], 1.0f));

        return (int)rintf(cx * cd / (float)BL);
    }
}

/* Units the coincidences of this cycle go to: [first, last). */
static void targets(struct anas_ptile *t, int *first, int *last)
{
    const struct anas_analog_device *dv = &t->tc.device;

    *first = 0;
    *last = 1;
    if (dv->compound != ANAS_COMPOUND_VECTOR)
        return;
    switch (dv->update_policy) {
    case ANAS_VP_ALL:
        *last = t->n_units;
        return;
    case ANAS_VP_SINGLE_FIXED:
        *first = dv->first_update_idx;
        break;
    case ANAS_VP_SINGLE_SEQUENTIAL:
        *first = t->seq_idx;
        t->seq_idx = (t->seq_idx + 1) % t->n_units;
        break;
    case ANAS_VP_SINGLE_RANDOM:
        *first = (int)anas_rng_int(&t->rng, 0, t->n_units);
        break;
    }
    *last = *first + 1;
}

/* Keep the lines of list (n) whose train has a pulse; the new count. */
static int fired(int *list, int n, const uint64_t *mask, int words)
{
    int m = 0;

    for (int a = 0; a < n; a++) {
        const uint64_t *w = mask + (size_t)list[a] * words;
        uint64_t any = 0;

        for (int k = 0; k < words; k++)
            any |= w[k];
        if (any)
            list[m++] = list[a];
    }
    return m;
}

/* One sample x (n), d (dlen = t->d) at lr on units [u0, u1) with
 * granularity dw: update management, BL management, trains, coincidences. */
static void pulse_sample(struct anas_ptile *t, const float *x, const float *dv, float lr,
                         float dw, int u0, int u1)
{
    const struct anas_pulsed_update *up = &t->tc.update;
    float xa = amax(x, t->n), da = up->um_grad_scale * amax(dv, t->d);
    float k, A, B;
    int BL, words, nact = 0, ndact = 0;

    /* the last sample's counts back to 0: only the touched ones */
    for (int a = 0; a < t->n_touched; a++)
        t->counts[t->touched[a]] = 0;
    t->n_touched = 0;
    t->has_counts = 1;
    if (xa == 0.0f || da == 0.0f || lr <= 0.0f)
        return;
    k = lr * xa * da / dw;
    BL = up->desired_bl;
    if (up->update_bl_management && ceilf(k) < (float)BL)
        BL = (int)ceilf(k) < 1 ? 1 : (int)ceilf(k);
    A = B = sqrtf(lr / (dw * (float)BL));
    if (up->update_management || up->update_bl_management) {
        if (k > (float)up->desired_bl)
            da *= (float)up->desired_bl / k; /* the gradient, not x, is clipped */
        A *= sqrtf(xa / da);
        B *= sqrtf(da / xa);
    }
    for (int j = 0; j < t->n; j++) {
        t->p[j] = quant(fabsf(x[j]) * B, up->pulse_type == ANAS_PULSE_DETERMINISTIC_IMPLICIT
                                             ? up->x_res_implicit
                                             : 0.0f);
        if (t->p[j] > 0.0f)
            t->xact[nact++] = j;
    }
    for (int i = 0; i < t->d; i++) {
        t->q[i] = quant(fabsf(dv[i]) * A, up->pulse_type == ANAS_PULSE_DETERMINISTIC_IMPLICIT
                                              ? up->d_res_implicit
                                              : 0.0f);
        if (t->q[i] > 0.0f)
            t->dact[ndact++] = i;
    }
    words = (BL + 63) / 64;
    if (up->pulse_type == ANAS_PULSE_STOCHASTIC_COMPRESSED) {
        /* only the lines that fired at all take part */
        trains(t, t->p, t->n, BL, words, t->xm);
        trains(t, t->q, t->d, BL, words, t->dm);
        nact = fired(t->xact, nact, t->xm, words);
        ndact = fired(t->dact, ndact, t->dm, words);
    }
    for (int b = 0; b < ndact; b++) {
        int i = t->dact[b], sd = dv[i] > 0.0f ? 1 : -1;
        const uint64_t *dm = t->dm + (size_t)i * words;

        for (int a = 0; a < nact; a++) {
            int j = t->xact[a], c, s;
            size_t kk;

            if (up->pulse_type == ANAS_PULSE_STOCHASTIC_COMPRESSED) {
                /* most pairs never meet: test before counting (the
                 * popcount is a libgcc call without -mpopcnt) */
                const uint64_t *xm = t->xm + (size_t)j * words;
                uint64_t any = 0;

                for (int w = 0; w < words; w++)
                    any |= dm[w] & xm[w];
                if (!any)
                    continue;
            }
            if (!(c = count_of(t, i, j, BL, words)))
                continue;
            s = sd * (x[j] > 0.0f ? 1 : -1);
            kk = (size_t)i * t->n + j;
            t->counts[kk] = s > 0 ? -c : c;
            t->touched[t->n_touched++] = (int)kk;
            for (int u = u0; u < u1; u++)
                anas__punit_pulses(&t->u[u], kk, s, c, &t->g);
        }
    }
}

/* --- the transfer of Tiki-Taka --- */

/* Read column i of A through the transfer IO (noise and bound management
 * off, DAC, ADC and noise kept) and update C with x = e_i, d = -A e_i. */
static int transfer(struct anas_ptile *t, float lr)
{
    const struct anas_analog_device *dv = &t->tc.device;
    struct anas_analog_io io = dv->transfer_forward;
    struct anas__mvm w = {t->u[0].w, t->d, t->n, 0};
    struct anas__mvm_io b = {t->e, 1, 0, t->n, t->v, t->d, 1.0f, NULL, 0};
    float lr_t = dv->transfer_lr * (dv->scale_transfer_lr ? lr : 1.0f);
    int rc;

    io.bound_management = ANAS_BM_NONE;
    io.noise_management = ANAS_NM_NONE;
    io.nm_thres = 0.0f;
    for (int r = 0; r < dv->n_reads_per_transfer; r++) {
        int i = t->slice;

        memset(t->e, 0, (size_t)t->n * sizeof *t->e);
        t->e[i] = 1.0f;
        if ((rc = anas__io_forward(&io, &t->tio, &w, &b, &t->ws, gen(t, &io))) < 0)
            return rc;
        for (int o = 0; o < t->d; o++)
            t->v[o] = -t->v[o];
        if (t->tc.update.pulse_type == ANAS_PULSE_NONE)
            for (int o = 0; o < t->d; o++) {
                size_t kk = (size_t)o * t->n + i;
                struct anas__punit *C = &t->u[1];

                C->w[kk] -= lr_t * t->v[o];
                C->w[kk] = fminf(fmaxf(C->w[kk], C->bmin[kk]), C->bmax[kk]);
            }
        else
            pulse_sample(t, t->e, t->v, lr_t, t->dw_c, 1, 2);
        if (dv->with_reset_prob > 0.0f && anas_rng_uniform(&t->rng) < dv->with_reset_prob)
            for (int o = 0; o < t->d; o++) {
                size_t kk = (size_t)o * t->n + i;

                t->u[0].w[kk] = t->u[0].rbias[kk] +
                                t->u[0].p.reset_std * (float)anas_rng_normal(&t->rng);
            }
        t->slice = (t->slice + 1) % t->n;
    }
    return 0;
}

/* After each update cycle: transfer when the counter says so. */
static int cycle_done(struct anas_ptile *t, int M, float lr)
{
    const struct anas_analog_device *dv = &t->tc.device;
    long every;

    if (dv->compound != ANAS_COMPOUND_TRANSFER)
        return 0;
    t->counter++;
    every = dv->units_in_mbatch ? (long)ceilf(dv->transfer_every * (float)M)
                                : (long)rintf(dv->transfer_every);
    if (every < 1)
        every = 1;
    return t->counter % every == 0 ? transfer(t, lr) : 0;
}

/* The floating-point update W -= lr sum_n d_n x_n^T, summed as plain SGD
 * sums a gradient: over the samples in order, in float. */
static int fp_update(struct anas_ptile *t, const float *X, const float *D, int M, float lr)
{
    size_t dn = (size_t)t->d * t->n;
    int u0, u1, rc = 0;

    memset(t->G, 0, dn * sizeof *t->G);
    for (int s = 0; s < M; s++)
        for (int i = 0; i < t->d; i++) {
            float di = D[(size_t)s * t->d + i];
            const float *x = X + (size_t)s * t->n;
            float *g = t->G + (size_t)i * t->n;

            for (int j = 0; j < t->n; j++)
                g[j] += di * x[j];
        }
    targets(t, &u0, &u1);
    for (int u = u0; u < u1; u++) {
        struct anas__punit *U = &t->u[u];

        for (size_t k = 0; k < dn; k++)
            U->w[k] -= lr * t->G[k];
        if (U->p.type != ANAS_DEV_FLOATING_POINT)
            for (size_t k = 0; k < dn; k++)
                U->w[k] = fminf(fmaxf(U->w[k], U->bmin[k]), U->bmax[k]);
    }
    for (int s = 0; rc == 0 && s < M; s++)
        rc = cycle_done(t, M, lr);
    return rc;
}

int anas_ptile_update(struct anas_ptile *t, const float *X, const float *D, int M, float lr)
{
    const struct anas_analog_device *dv;
    float ulr;
    int rc = 0;

    if (!t || !X || !D || M < 0 || !isfinite(lr))
        return ANAS_EINVAL;
    if (lr == 0.0f || M == 0)
        return 0;
    dv = &t->tc.device;
    /* Tiki-Taka pulses A at fast_lr (times lr with scale_fast_lr) */
    ulr = lr;
    if (dv->compound == ANAS_COMPOUND_TRANSFER && dv->fast_lr > 0.0f)
        ulr = dv->scale_fast_lr ? dv->fast_lr * lr : dv->fast_lr;
    if (t->tc.update.pulse_type == ANAS_PULSE_NONE ||
        dv->unit[0].type == ANAS_DEV_FLOATING_POINT)
        rc = fp_update(t, X, D, M, ulr);
    else
        for (int s = 0; rc == 0 && s < M; s++) {
            int u0, u1;

            targets(t, &u0, &u1);
            pulse_sample(t, X + (size_t)s * t->n, D + (size_t)s * t->d, ulr, t->dw, u0, u1);
            rc = cycle_done(t, M, lr);
        }
    reduce(t);
    return rc;
}

int anas_ptile_post_step(struct anas_ptile *t)
{
    if (!t)
        return ANAS_EINVAL;
    for (int k = 0; k < t->n_units; k++)
        anas__punit_post(&t->u[k], &t->g);
    reduce(t);
    return 0;
}

/* --- for the tests --- */

int anas_ptile_device_params(const struct anas_ptile *t, int k, int i, int j,
                             struct anas_pulsed_dp *out)
{
    const struct anas__punit *u;
    size_t kk;

    if (!t || !out || k < 0 || k >= t->n_units || i < 0 || i >= t->d || j < 0 || j >= t->n)
        return ANAS_EINVAL;
    u = &t->u[k];
    kk = (size_t)i * t->n + j;
    *out = (struct anas_pulsed_dp){u->bmax[kk], u->bmin[kk],    u->up[kk],
                                   u->down[kk], u->sl_up[kk],  u->sl_down[kk],
                                   u->diff[kk], u->rbias[kk],  u->dcy[kk]};
    return 0;
}

int anas_ptile_pulse(struct anas_ptile *t, int k, int i, int j, int s)
{
    if (!t || k < 0 || k >= t->n_units || i < 0 || i >= t->d || j < 0 || j >= t->n)
        return ANAS_EINVAL;
    anas__punit_pulses(&t->u[k], (size_t)i * t->n + j, s, 1, &t->g);
    reduce(t);
    return 0;
}

const int *anas_ptile_last_counts(const struct anas_ptile *t)
{
    return t && t->has_counts ? t->counts : NULL;
}
