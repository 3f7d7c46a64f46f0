/*
 * optim.c - SGD, Adam and AdamW, following torch.optim's update rules
 * (PyTorch 1.13, single-tensor implementations) step for step:
 *
 * SGD (dampening 0):   g = grad + wd * p
 *                      buf = g on the first step, else momentum * buf + g
 *                      g = nesterov ? g + momentum * buf : buf
 *                      p -= lr * g
 * Adam:                g = grad + wd * p
 *                      m = beta1 * m + (1 - beta1) * g
 *                      v = beta2 * v + (1 - beta2) * g^2
 *                      p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
 * AdamW:               p *= 1 - lr * wd, then Adam without the wd term.
 *
 * The state (momentum buffer, m, v) is allocated by anas_optim_new, so a
 * step allocates nothing. Bias corrections are computed in double, as the
 * Python scalars PyTorch computes them with.
 */
#include "config.h"

#include "nn/net.h"
#include "nn/nn_int.h"

#include <math.h>

#include "core/alloc.h"
#include "tensor/vec.h"

struct anas_optim {
    struct anas_optim_spec spec;
    size_t n;
    long step; /* steps taken */
    float *m;  /* (n) SGD momentum buffer, or Adam's first moment */
    float *v;  /* (n) Adam's second moment */
};

struct anas_optim *anas_optim_new(const struct anas_optim_spec *spec, size_t n_params,
                                  struct anas_error *err)
{
    struct anas_optim *o;
    int adam;

    if (!spec || spec->kind < ANAS_OPTIM_SGD || spec->kind > ANAS_OPTIM_ADAMW) {
        anas_error_field(err, ANAS_EINVAL, "optimizer", "unknown optimizer");
        return NULL;
    }
    adam = spec->kind != ANAS_OPTIM_SGD;
    if (!(spec->lr >= 0.0f) || !(spec->weight_decay >= 0.0f) ||
        !(spec->momentum >= 0.0f) ||
        (adam && !(spec->beta1 >= 0.0f && spec->beta1 < 1.0f && spec->beta2 >= 0.0f &&
                   spec->beta2 < 1.0f && spec->eps >= 0.0f))) {
        anas_error_field(err, ANAS_ERANGE, "optimizer", "hyperparameter out of range");
        return NULL;
    }
    if (spec->kind == ANAS_OPTIM_SGD && spec->nesterov && spec->momentum <= 0.0f) {
        anas_error_field(err, ANAS_EINVAL, "optimizer.nesterov",
                         "nesterov momentum requires a momentum");
        return NULL;
    }
    o = anas_calloc(1, sizeof(*o));
    if (!o)
        goto nomem;
    o->spec = *spec;
    o->n = n_params;
    if (adam || spec->momentum != 0.0f) {
        o->m = anas_calloc(n_params, sizeof(*o->m));
        if (!o->m)
            goto nomem;
    }
    if (adam) {
        o->v = anas_calloc(n_params, sizeof(*o->v));
        if (!o->v)
            goto nomem;
    }
    return o;
nomem:
    anas_optim_free(o);
    anas_error_set(err, ANAS_ENOMEM, "optimizer state for %zu parameters", n_params);
    return NULL;
}

void anas_optim_free(struct anas_optim *o)
{
    if (!o)
        return;
    anas_free(o->m);
    anas_free(o->v);
    anas_free(o);
}

void anas_optim_set_lr(struct anas_optim *o, float lr)
{
    if (o)
        o->spec.lr = lr;
}

/* One loop per case, so that each vectorises: the same arithmetic as
 * PyTorch's, in the same order. */
ANAS__SIMD
static void sgd_step(struct anas_optim *o, float *restrict p, const float *restrict grad,
                     size_t lo, size_t hi)
{
    float lr = o->spec.lr, wd = o->spec.weight_decay, mu = o->spec.momentum;
    float *restrict buf = o->m ? o->m + lo : NULL;
    size_t n = hi - lo;

    p += lo, grad += lo;
    if (!buf)
        ANAS__VFOR(i, n, p[i] -= lr * (grad[i] + wd * p[i]));
    else if (o->step == 0 && !o->spec.nesterov)
        ANAS__VFOR(i, n, float g = grad[i] + wd * p[i]; buf[i] = g; p[i] -= lr * g);
    else if (o->step == 0)
        ANAS__VFOR(i, n, float g = grad[i] + wd * p[i]; buf[i] = g;
                   p[i] -= lr * (g + mu * g));
    else if (!o->spec.nesterov)
        ANAS__VFOR(i, n, float g = grad[i] + wd * p[i]; float b = mu * buf[i] + g;
                   buf[i] = b; p[i] -= lr * b);
    else
        ANAS__VFOR(i, n, float g = grad[i] + wd * p[i]; float b = mu * buf[i] + g;
                   buf[i] = b; p[i] -= lr * (g + mu * b));
}

ANAS__SIMD
static void adam_step(struct anas_optim *o, float *restrict p, const float *restrict grad,
                      size_t lo, size_t hi)
{
    const struct anas_optim_spec *s = &o->spec;
    float *restrict m = o->m + lo, *restrict v = o->v + lo;
    double t = (double)(o->step + 1);
    float b1 = s->beta1, b2 = s->beta2, eps = s->eps;
    float step_size = (float)(s->lr / (1.0 - pow(s->beta1, t)));
    float bc2_sqrt = (float)sqrt(1.0 - pow(s->beta2, t));
    float wd = s->kind == ANAS_OPTIM_ADAM ? s->weight_decay : 0.0f;
    float decay = s->kind == ANAS_OPTIM_ADAMW
                      ? (float)(1.0 - (double)s->lr * s->weight_decay)
                      : 1.0f;
    size_t n = hi - lo;

    p += lo, grad += lo;
    ANAS__VFOR(i, n, float g = grad[i] + wd * p[i]; float q = p[i] * decay;
               float mi = b1 * m[i] + (1.0f - b1) * g;
               float vi = b2 * v[i] + (1.0f - b2) * (g * g); m[i] = mi; v[i] = vi;
               p[i] = q - step_size * (mi / (sqrtf(vi) / bc2_sqrt + eps)));
}

size_t anas__optim_n(const struct anas_optim *o)
{
    return o->n;
}

void anas__optim_update(struct anas_optim *o, float *params, const float *grads,
                        size_t lo, size_t hi)
{
    if (o->spec.kind == ANAS_OPTIM_SGD)
        sgd_step(o, params, grads, lo, hi);
    else
        adam_step(o, params, grads, lo, hi);
}

void anas__optim_done(struct anas_optim *o)
{
    o->step++;
}

void anas_optim_step(struct anas_optim *o, float *params, const float *grads)
{
    if (!o)
        return;
    anas__optim_update(o, params, grads, 0, o->n);
    anas__optim_done(o);
}
