/*
 * tiny.c - the two-sample regression sets of aihwkit's small examples
 * (examples/01_simple_layer.py, and 05, 07, 08 use the same tensors;
 * 02_multiple_layer.py has its own): x as (n, 1, 1, 4) images, y as
 * regression targets, trained with MSE like the examples' mse_loss.
 */
#include "config.h"

#include "data/data_int.h"

#include <string.h>

#include "core/alloc.h"

struct tiny {
    const char *name;
    int n, t_dim;
    float x[2][4], t[2][2];
};

static const struct tiny sets[] = {
    {"aihwkit-tiny-1", 2, 2, {{0.1f, 0.2f, 0.4f, 0.3f}, {0.2f, 0.1f, 0.1f, 0.3f}},
     {{1.0f, 0.5f}, {0.7f, 0.3f}}},
    {"aihwkit-tiny-2", 2, 1, {{0.1f, 0.2f, 0.0f, 0.0f}, {0.2f, 0.4f, 0.0f, 0.0f}},
     {{0.3f}, {0.6f}}},
};

int anas_data_tiny_outputs(const char *name)
{
    for (size_t i = 0; name && i < sizeof sets / sizeof sets[0]; i++)
        if (strcmp(sets[i].name, name) == 0)
            return sets[i].t_dim;
    return ANAS_ENOTFOUND;
}

struct anas_dataset *anas_data_tiny(const char *name, struct anas_error *err)
{
    const struct tiny *s = NULL;
    struct anas_dataset *d;

    for (size_t i = 0; name && i < sizeof sets / sizeof sets[0]; i++)
        if (strcmp(sets[i].name, name) == 0)
            s = &sets[i];
    if (!s) {
        anas_error_set(err, ANAS_ENOTFOUND, "no built-in dataset '%s'", name ? name : "");
        return NULL;
    }
    if (!(d = anas__data_alloc(s->n, 1, 1, 4, err)))
        return NULL;
    d->t = anas_malloc((size_t)s->n * s->t_dim * sizeof *d->t);
    if (!d->t) {
        anas_data_free(d);
        anas_error_set(err, ANAS_ENOMEM, "out of memory");
        return NULL;
    }
    d->t_dim = d->classes = s->t_dim;
    for (int i = 0; i < s->n; i++) {
        memcpy(d->x + (size_t)i * 4, s->x[i], sizeof s->x[i]);
        memcpy(d->t + (size_t)i * s->t_dim, s->t[i], (size_t)s->t_dim * sizeof *d->t);
        d->y[i] = i;
    }
    return d;
}
