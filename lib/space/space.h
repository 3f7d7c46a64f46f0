/*
 * space.h - search spaces: named hyperparameters, sampling, validation,
 * canonical form, stable hash, and the analytic description of the network a
 * configuration builds (layers, params, MACs, crossbar tiles).
 *
 *     const struct anas_space *s = anas_space_find("resnet");
 *     struct anas_shape shape = {.c = 3, .h = 32, .w = 32, .classes = 10};
 *     struct anas_config cfg;
 *     struct anas_rng rng;
 *     anas_rng_seed(&rng, 1);
 *     anas_space_sample(s, &rng, &cfg);
 *     char hash[ANAS_HASH_LEN + 1];
 *     anas_space_hash(s, &shape, &cfg, hash);
 *     struct anas_metrics m;
 *     anas_space_analytic(s, &shape, &cfg, &anas_mapping_default, &m, NULL);
 *
 * Spaces are immutable tables: pointers to them are valid forever and may
 * be shared between threads. The registered ones are static; composites
 * (anas_space_compose) are made on demand and interned. A configuration is
 * a plain value (copyable) holding one double per hyperparameter, in the
 * space's order.
 */
#ifndef ANAS_SPACE_H
#define ANAS_SPACE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/metrics.h"
#include "core/rng.h"

#define ANAS_SPACE_MAX_HP 64
#define ANAS_HASH_LEN 16

enum anas_hp_kind {
    ANAS_HP_CHOICE, /* one of `choices` */
    ANAS_HP_INT,    /* integer in [lo, hi], both inclusive */
    ANAS_HP_FLOAT,  /* real in [lo, hi) */
};

struct anas_hp {
    const char *name;
    enum anas_hp_kind kind;
    double lo, hi;
    int n_choices;
    const double *choices;
    int is_int; /* values are integers (CHOICE, INT) */
    const char *help;
};

/* Input of the network: channels, height, width, and output classes. */
struct anas_shape {
    int c, h, w;
    int classes;
};

/* How layers map onto analog crossbar tiles (aihwkit's MappingParameter). */
struct anas_mapping {
    int max_input_size;
    int max_output_size;
};

extern const struct anas_mapping anas_mapping_default; /* 512 x 512 */

struct anas_space;

struct anas_config {
    const struct anas_space *space;
    double v[ANAS_SPACE_MAX_HP];
};

/* One layer of the network a configuration builds, for summaries. Names are
 * hierarchical ("stem.conv", "g1.b1.br2.conv1", "g1.b1.skip.conv_a",
 * "head.fc"; "conv1", "fc2" for lenet; AnalogNAS's module paths such as
 * "encoder.0.block.0" for autoencoder). Counting: conv2d and convt2d
 * k*k*in_c*out_c weights plus out_c biases when they have them, MACs
 * out_c*out_h*out_w*in_c*k*k (conv2d) or in_c*in_h*in_w*out_c*k*k
 * (convt2d); batchnorm 2*c params (running statistics excluded); linear
 * in*out + out params and in*out MACs, its input being the flattened
 * in_c x in_h x in_w; every other kind has no params and 0 MACs. tiles =
 * ceil(rows / max_input_size) * ceil(out_c / max_output_size) with rows =
 * in_c*k*k (conv2d, convt2d) or in (linear), biases digital. */
struct anas_layer {
    char name[48];
    char kind[16];   /* conv2d, convt2d, batchnorm, relu, tanh, sigmoid, avgpool,
                        maxpool, linear, add, concat, shift, flatten, reshape */
    int in_c, in_h, in_w;
    int out_c, out_h, out_w;
    int kernel, stride, pad;
    long long params;
    long long macs;
    int tiles;       /* crossbar tiles for conv2d/linear, 0 otherwise */
};

/* Registry: the registered spaces (composites are not listed), and a
 * lookup by name of registered spaces and interned composites. */
int anas_space_count(void);
const struct anas_space *anas_space_at(int i);
const struct anas_space *anas_space_find(const char *name); /* NULL if unknown */

#define ANAS_SPACE_MAX_DIMS 8          /* dimensions a composite adds */
#define ANAS_SPACE_MAX_CHOICES 64      /* choices of one added dimension */
#define ANAS_SPACE_MAX_COMPOSITES 64   /* distinct composites per process */

/* A composite space: `base` (a registered space) plus n CHOICE
 * hyperparameters appended after its own, dimension k named names[k] with
 * the n_choices[k] distinct finite values choices[k] (kept in that order;
 * integral choices make an integer hyperparameter). Meant for the training
 * recipe ("train.lr", "train.batch_size"): the added dimensions are always
 * active, and everything else is the base's (shapes, layers, metrics, the
 * network, the surrogate features), so the hash of a configuration covers
 * network and recipe. The name is "<base>+train.<8 hex digits>", a digest
 * of the dimensions, and anas_space_find() knows it.
 *
 * Interned: the same base and dimensions give the same pointer, valid
 * forever (never freed). NULL on error: ANAS_EINVAL (a bad or taken name,
 * a non-finite or repeated choice, a base that is itself a composite),
 * ANAS_ERANGE (too few or many choices), ANAS_ELIMIT (too many dimensions
 * or hyperparameters, or ANAS_SPACE_MAX_COMPOSITES already made),
 * ANAS_ENOMEM; err->field names the dimension when one is at fault.
 * Thread-safe. */
const struct anas_space *anas_space_compose(const struct anas_space *base, int n,
                                            const char *const names[],
                                            const int n_choices[],
                                            const double *const choices[],
                                            struct anas_error *err);

/* A composite's base space; any other space itself. */
const struct anas_space *anas_space_base(const struct anas_space *s);

const char *anas_space_name(const struct anas_space *s);
const char *anas_space_description(const struct anas_space *s);
int anas_space_n_hp(const struct anas_space *s);
const struct anas_hp *anas_space_hp(const struct anas_space *s, int i);
int anas_space_hp_index(const struct anas_space *s, const char *name); /* -1 if unknown */

/* Number of distinct configurations, counting each float hyperparameter as
 * one value (AnalogNAS's convention). */
uint64_t anas_space_size(const struct anas_space *s);

/* Default input shape for the space (CIFAR-10 for resnet and autoencoder,
 * MNIST for lenet and mlp). */
struct anas_shape anas_space_default_shape(const struct anas_space *s);

/* Can this space build a network for `shape`? ANAS_ERANGE naming the field
 * ("input" or "classes") when not. */
int anas_space_check_shape(const struct anas_space *s, const struct anas_shape *shape,
                           struct anas_error *err);

/* Do a and b hold the same values (canonical configurations: the same
 * architecture)? */
int anas_config_equal(const struct anas_space *s, const struct anas_config *a,
                      const struct anas_config *b);

/* Set every value to 0 (the "absent" value) for the space. */
void anas_config_init(struct anas_config *cfg, const struct anas_space *s);

/* Draw a configuration uniformly, inactive groups zeroed. */
int anas_space_sample(const struct anas_space *s, struct anas_rng *rng,
                      struct anas_config *out);

/* Put `cfg` in canonical form (inactive hyperparameters zeroed) and check
 * every active value; on failure `err->field` names the hyperparameter. */
int anas_space_validate(const struct anas_space *s, struct anas_config *cfg,
                        struct anas_error *err);

/* Is hyperparameter i active in cfg (not in a group beyond M, say)? */
int anas_space_is_active(const struct anas_space *s, const struct anas_config *cfg, int i);

/* The canonical text of (space, shape, config): the input of the hash.
 * Returns its length or ANAS_ELIMIT when `n` is too small. */
int anas_space_canonical(const struct anas_space *s, const struct anas_shape *shape,
                         const struct anas_config *cfg, char *buf, size_t n);

/* First ANAS_HASH_LEN hex digits of SHA-256 of the canonical text. */
int anas_space_hash(const struct anas_space *s, const struct anas_shape *shape,
                    const struct anas_config *cfg, char out[ANAS_HASH_LEN + 1]);

/* The layers the configuration builds. *out is allocated with anas_malloc
 * and owned by the caller (anas_free). */
int anas_space_layers(const struct anas_space *s, const struct anas_shape *shape,
                      const struct anas_config *cfg, const struct anas_mapping *map,
                      struct anas_layer **out, int *n_out, struct anas_error *err);

/* Analytic metrics: params, macs, tiles, tile_util (and space-specific
 * extras, e.g. nb_convs for resnet). Adds to `out` without clearing it. */
int anas_space_analytic(const struct anas_space *s, const struct anas_shape *shape,
                        const struct anas_config *cfg, const struct anas_mapping *map,
                        struct anas_metrics *out, struct anas_error *err);

/* The names of the analytic metrics the space produces: params, macs,
 * tiles and tile_util for a space that builds layers, then the space's own
 * extras (resnet: nb_convs); none for a space without a network (rpu). A
 * composite answers as its base. *out holds the names (values 0); returns
 * their number, or ANAS_EINVAL. */
int anas_space_metric_names(const struct anas_space *s, struct anas_metrics *out);

/* Is `metric` one of anas_space_metric_names()? 1 or 0; ANAS_ENOMEM when
 * that cannot be told. */
int anas_space_has_metric(const struct anas_space *s, const char *metric);

/* --- What optimizers need from any space (ops.c) ---
 *
 * Every operator works from the hyperparameter table alone, so a new space
 * gets every optimizer for free. Results are canonical and valid
 * (anas_space_validate passes): hyperparameters that become active take a
 * fresh uniform value, inactive ones are zeroed; an operator whose result
 * the space's cross-hyperparameter checks reject tries again, a bounded
 * number of times, and then returns the parent unchanged. All draw from
 * `rng` only, so they are reproducible. `out` may alias an input. */

/* A neighbour: one active hyperparameter, chosen uniformly among those
 * that can move, moved to a neighbouring value: a CHOICE to the previous
 * or next choice (choices are ordered as the table lists them), an INT by
 * +-1 within its range, a FLOAT by a normal step of `sigma` times its
 * range, clipped into [lo, hi). Changing a depth (resnet's M, R<j>; mlp's
 * depth) or a width or a block type is such a move. ANAS_EINVAL for a bad
 * argument. */
int anas_space_mutate(const struct anas_space *s, struct anas_rng *rng,
                      const struct anas_config *cfg, double sigma, struct anas_config *out);

/* Uniform crossover: each hyperparameter from either parent with
 * probability 1/2, taken from a parent where it is active when the child
 * needs it active (resampled when neither parent has it). */
int anas_space_crossover(const struct anas_space *s, struct anas_rng *rng,
                         const struct anas_config *a, const struct anas_config *b,
                         struct anas_config *out);

/* The numeric encoding, one value in [0, 1] per hyperparameter in the
 * space's order: a CHOICE as index / (n_choices - 1), an INT as
 * (v - lo) / (hi - lo), a FLOAT as (v - lo) / (hi - lo); inactive ones as
 * 0 (and 0 for a range of one value). Returns the number of values
 * (anas_space_n_hp) or ANAS_EINVAL. */
int anas_space_encode(const struct anas_space *s, const struct anas_config *cfg,
                      double *out);

/* The inverse: each value clamped into [0, 1] and rounded to the nearest
 * choice or integer (a FLOAT kept below hi), then made canonical. The
 * result may still fail the space's cross-hyperparameter checks:
 * ANAS_EINVAL/ANAS_ERANGE then, with err naming the field. */
int anas_space_decode(const struct anas_space *s, const double *x, struct anas_config *out,
                      struct anas_error *err);

/* The grid: every canonical configuration, a FLOAT hyperparameter taking
 * `float_steps` evenly spaced values lo + (hi - lo) * k / float_steps.
 * Enumerated in a stable order (mixed radix over the table, the last
 * hyperparameter fastest), configurations that differ only in inactive
 * values counted once. anas_space_grid_size: the number of them, or
 * ANAS_ELIMIT when the raw product exceeds `limit`. anas_space_grid_next:
 * from cursor *pos (0 to start), the next configuration; returns 1 and
 * advances *pos, or 0 at the end. */
long long anas_space_grid_size(const struct anas_space *s, int float_steps, long long limit);
int anas_space_grid_next(const struct anas_space *s, int float_steps, long long *pos,
                         struct anas_config *out);

struct anas_netdef;

/* The trainable network a configuration builds (lib/nn), with PyTorch
 * state_dict names matching the reference implementation (AnalogNAS's
 * Network for resnet, aihwkit's LeNet5 for lenet). Its trainable parameter
 * count equals the analytic `params`. *out is owned by the caller
 * (anas_netdef_free). ANAS_EUNSUPPORTED for spaces without a network. */
int anas_space_build(const struct anas_space *s, const struct anas_shape *shape,
                     const struct anas_config *cfg, struct anas_netdef **out,
                     struct anas_error *err);

/* The surrogate feature vector (AnalogNAS: the 22 values in order). Returns
 * the number of features, or ANAS_EUNSUPPORTED for spaces without one. */
int anas_space_features(const struct anas_space *s, const struct anas_config *cfg,
                        float *out, int max);

#endif
