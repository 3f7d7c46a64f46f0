/*
 * sched.c - learning-rate schedules in closed form, as PyTorch's
 * schedulers give them when stepped once per epoch:
 *
 *     StepLR:            base * gamma^(epoch / step_size)   (integer division)
 *     CosineAnnealingLR: eta_min + (base - eta_min) * (1 + cos(pi * epoch / T_max)) / 2
 *
 * Computed in double (PyTorch's schedulers work on Python floats) and
 * rounded once.
 */
#include "config.h"

#include "nn/net.h"

#include <math.h>

float anas_sched_lr(const struct anas_sched *s, int epoch)
{
    double base = s->base_lr;

    if (epoch < 0)
        epoch = 0;
    switch (s->kind) {
    case ANAS_SCHED_STEP:
        if (s->step_size < 1)
            return s->base_lr;
        return (float)(base * pow(s->gamma, epoch / s->step_size));
    case ANAS_SCHED_COSINE:
        if (s->t_max < 1)
            return s->base_lr;
        return (float)(s->eta_min +
                       (base - s->eta_min) * (1.0 + cos(M_PI * epoch / s->t_max)) / 2.0);
    case ANAS_SCHED_CONSTANT:
    default:
        return s->base_lr;
    }
}
