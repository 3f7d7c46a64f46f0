/*
 * compose.c - composite spaces: a base space plus training-recipe
 * dimensions (learning rate, batch size, ...) appended as CHOICE
 * hyperparameters, so that a search explores the recipe together with the
 * architecture.
 *
 * A composite is a struct anas_space like the static ones: the base's
 * hyperparameters copied, the new ones after them, and the base's
 * functions, which read configurations by position and so never see the
 * appended values. Only two things differ, both keyed on `base`: space.c
 * counts the appended dimensions as always active, and the feature vector
 * stays the base's (surrogates know architectures, not recipes).
 *
 * Composites are interned in one process-wide list, never freed: equal
 * requests share one pointer, and every pointer stays valid for the life
 * of the process, as a static space's does, however many threads hold it.
 * The list is short (ANAS_SPACE_MAX_COMPOSITES) and searched linearly.
 */
#include "config.h"

#include "space/space.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/fmt.h"
#include "core/hash.h"
#include "space/space_int.h"

#define HP_NAME_MAX 32
#define SPACE_NAME_MAX 32 /* what the daemon's store keeps of a name */
#define SUFFIX "+train."
#define SUFFIX_HEX 8 /* 32 bits of the dimensions' digest */

struct composite {
    struct anas_space space;
    char name[SPACE_NAME_MAX];
    struct anas_hp hp[ANAS_SPACE_MAX_HP];
    char hp_names[ANAS_SPACE_MAX_DIMS][HP_NAME_MAX];
    double choices[ANAS_SPACE_MAX_DIMS][ANAS_SPACE_MAX_CHOICES];
};

/* What a composite is made of, checked and normalized. */
struct dims {
    int n;
    const char *names[ANAS_SPACE_MAX_DIMS];
    int n_choices[ANAS_SPACE_MAX_DIMS];
    double choices[ANAS_SPACE_MAX_DIMS][ANAS_SPACE_MAX_CHOICES];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct composite *interned[ANAS_SPACE_MAX_COMPOSITES];
static int n_interned;

static int name_taken(const struct anas_space *base, const struct dims *d, int k)
{
    if (anas_space_hp_index(base, d->names[k]) >= 0)
        return 1;
    for (int j = 0; j < k; j++)
        if (strcmp(d->names[j], d->names[k]) == 0)
            return 1;
    return 0;
}

static int check_name(const struct anas_space *base, const struct dims *d, int k,
                      struct anas_error *err)
{
    const char *name = d->names[k];

    if (!name || !name[0] || strlen(name) >= HP_NAME_MAX)
        return anas_error_set(err, ANAS_EINVAL,
                              "dimension %d needs a name of 1..%d characters", k,
                              HP_NAME_MAX - 1);
    if (name_taken(base, d, k))
        return anas_error_field(err, ANAS_EINVAL, name,
                                "space %s already has a hyperparameter '%s'", base->name,
                                name);
    return 0;
}

/* Copy dimension k's choices, -0 made 0 so that equal values read equal
 * in the name's digest too. */
static int take_choices(struct dims *d, int k, int n, const double *v,
                        struct anas_error *err)
{
    const char *name = d->names[k];

    if (n < 1 || n > ANAS_SPACE_MAX_CHOICES || !v)
        return anas_error_field(err, ANAS_ERANGE, name, "%s needs 1..%d choices", name,
                                ANAS_SPACE_MAX_CHOICES);
    for (int i = 0; i < n; i++) {
        if (!isfinite(v[i]))
            return anas_error_field(err, ANAS_EINVAL, name, "%s: choice %d is not finite",
                                    name, i);
        d->choices[k][i] = v[i] + 0.0;
        for (int j = 0; j < i; j++)
            if (d->choices[k][j] == d->choices[k][i])
                return anas_error_field(err, ANAS_EINVAL, name,
                                        "%s: choices %d and %d are equal", name, j, i);
    }
    d->n_choices[k] = n;
    return 0;
}

static int take_dims(const struct anas_space *base, int n, const char *const names[],
                     const int n_choices[], const double *const choices[], struct dims *d,
                     struct anas_error *err)
{
    int rc;

    if (!base || base->base)
        return anas_error_set(err, ANAS_EINVAL, "a composite needs a registered base space");
    if (n < 1 || n > ANAS_SPACE_MAX_DIMS || !names || !n_choices || !choices)
        return anas_error_set(err, ANAS_EINVAL, "a composite needs 1..%d dimensions",
                              ANAS_SPACE_MAX_DIMS);
    if (base->n_hp + n > ANAS_SPACE_MAX_HP)
        return anas_error_set(err, ANAS_ELIMIT, "more than %d hyperparameters",
                              ANAS_SPACE_MAX_HP);
    d->n = n;
    for (int k = 0; k < n; k++) {
        d->names[k] = names[k];
        if ((rc = check_name(base, d, k, err)) < 0 ||
            (rc = take_choices(d, k, n_choices[k], choices[k], err)) < 0)
            return rc;
    }
    return 0;
}

/* "<base>+train.<8 hex digits of SHA-256 of the dimensions' text>". */
static int make_name(const struct anas_space *base, const struct dims *d,
                     char out[SPACE_NAME_MAX])
{
    char text[ANAS_SPACE_MAX_DIMS * (HP_NAME_MAX + ANAS_SPACE_MAX_CHOICES * 26)], hex[65];
    size_t at = 0;

    for (int k = 0; k < d->n; k++) {
        at += (size_t)snprintf(text + at, sizeof text - at, "%s=", d->names[k]);
        for (int i = 0; i < d->n_choices[k]; i++) {
            int len = anas_fmt_double(text + at, sizeof text - at, d->choices[k][i]);
            if (len < 0)
                return ANAS_ELIMIT; /* cannot happen: text is sized for the worst */
            at += (size_t)len;
            text[at++] = i + 1 < d->n_choices[k] ? ',' : ';';
        }
    }
    anas_sha256_hex(text, at, hex);
    if (strlen(base->name) + strlen(SUFFIX) + SUFFIX_HEX >= SPACE_NAME_MAX)
        return ANAS_ELIMIT;
    snprintf(out, SPACE_NAME_MAX, "%s%s%.*s", base->name, SUFFIX, SUFFIX_HEX, hex);
    return 0;
}

static int same_dims(const struct composite *c, const struct dims *d)
{
    int at = c->space.base->n_hp;

    if (c->space.n_hp - at != d->n)
        return 0;
    for (int k = 0; k < d->n; k++) {
        const struct anas_hp *hp = &c->hp[at + k];
        if (strcmp(hp->name, d->names[k]) != 0 || hp->n_choices != d->n_choices[k] ||
            memcmp(hp->choices, d->choices[k], (size_t)d->n_choices[k] * sizeof(double)))
            return 0;
    }
    return 1;
}

/* The surrogate features of a composite are its base's: the appended
 * values are the recipe, not the network. */
static int base_features(const struct anas_space *s, const struct anas_config *cfg,
                         float *out, int max)
{
    return s->base->features(s->base, cfg, out, max);
}

static void fill_dim(struct composite *c, const struct dims *d, int k)
{
    struct anas_hp *hp = &c->hp[c->space.base->n_hp + k];
    int n = d->n_choices[k];

    snprintf(c->hp_names[k], HP_NAME_MAX, "%s", d->names[k]);
    memcpy(c->choices[k], d->choices[k], (size_t)n * sizeof(double));
    hp->name = c->hp_names[k];
    hp->kind = ANAS_HP_CHOICE;
    hp->n_choices = n;
    hp->choices = c->choices[k];
    hp->lo = hp->hi = c->choices[k][0];
    hp->is_int = 1;
    for (int i = 0; i < n; i++) {
        double v = c->choices[k][i];
        hp->lo = fmin(hp->lo, v);
        hp->hi = fmax(hp->hi, v);
        hp->is_int &= v == floor(v) && fabs(v) < 1e15;
    }
    hp->help = "a training-recipe choice (not part of the network)";
}

static struct composite *make(const struct anas_space *base, const struct dims *d,
                              const char *name)
{
    struct composite *c = anas_calloc(1, sizeof *c);

    if (!c)
        return NULL;
    snprintf(c->name, sizeof c->name, "%s", name);
    memcpy(c->hp, base->hp, (size_t)base->n_hp * sizeof *base->hp);
    c->space = *base;
    c->space.name = c->name;
    c->space.n_hp = base->n_hp + d->n;
    c->space.hp = c->hp;
    c->space.features = base->features ? base_features : NULL;
    c->space.base = base;
    for (int k = 0; k < d->n; k++)
        fill_dim(c, d, k);
    return c;
}

/* Under the lock: the interned composite for (base, d), made if new. */
static int intern(const struct anas_space *base, const struct dims *d, const char *name,
                  const struct anas_space **out, struct anas_error *err)
{
    for (int i = 0; i < n_interned; i++) {
        if (strcmp(interned[i]->name, name) != 0)
            continue;
        if (interned[i]->space.base != base || !same_dims(interned[i], d))
            return anas_error_set(err, ANAS_EEXIST,
                                  "composite name %s is taken by other dimensions", name);
        *out = &interned[i]->space;
        return 0;
    }
    if (n_interned == ANAS_SPACE_MAX_COMPOSITES)
        return anas_error_set(err, ANAS_ELIMIT,
                              "at most %d distinct composite spaces per process",
                              ANAS_SPACE_MAX_COMPOSITES);
    if (!(interned[n_interned] = make(base, d, name)))
        return anas_error_set(err, ANAS_ENOMEM, "out of memory for a composite space");
    *out = &interned[n_interned++]->space;
    return 0;
}

const struct anas_space *anas_space_compose(const struct anas_space *base, int n,
                                            const char *const names[],
                                            const int n_choices[],
                                            const double *const choices[],
                                            struct anas_error *err)
{
    const struct anas_space *s = NULL;
    struct dims d;
    char name[SPACE_NAME_MAX];

    if (take_dims(base, n, names, n_choices, choices, &d, err) < 0)
        return NULL;
    if (make_name(base, &d, name) < 0) {
        anas_error_set(err, ANAS_ELIMIT, "space name %s is too long to compose",
                       base->name);
        return NULL;
    }
    pthread_mutex_lock(&lock);
    intern(base, &d, name, &s, err);
    pthread_mutex_unlock(&lock);
    return s;
}

const struct anas_space *anas__space_find_composite(const char *name)
{
    const struct anas_space *s = NULL;

    pthread_mutex_lock(&lock);
    for (int i = 0; i < n_interned && !s; i++)
        if (strcmp(interned[i]->name, name) == 0)
            s = &interned[i]->space;
    pthread_mutex_unlock(&lock);
    return s;
}

const struct anas_space *anas_space_base(const struct anas_space *s)
{
    return s && s->base ? s->base : s;
}
