/*
 * codec_int.h - helpers shared by the codec's files (codec.c for spaces,
 * searches and results; codec_train.c for datasets and training recipes).
 */
#ifndef ANASD_CODEC_INT_H
#define ANASD_CODEC_INT_H

#include "codec.h"

int codec__bad(struct anas_error *err, int code, const char *ptr, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int codec__int(json_t *v, const char *ptr, long long lo, long long hi, long long *out,
               struct anas_error *err);
int codec__num(json_t *v, const char *ptr, double lo, double hi, double *out,
               struct anas_error *err);
int codec__str(json_t *v, const char *ptr, char *out, size_t n, struct anas_error *err);
int codec__obj(json_t *v, const char *ptr, struct anas_error *err);

/* codec_train.c */
int codec__dataset(const struct conf *c, json_t *v, struct run_spec *out,
                   struct anas_error *err);
/* The dataset's image shape, when its name implies one (0 when not). */
int codec__dataset_shape(const struct run_spec *s, struct anas_shape *out);
int codec__train(json_t *v, struct run_spec *out, struct anas_error *err);
json_t *codec__dataset_to_json(const struct run_spec *s);
void codec__train_to_json(const struct run_spec *s, json_t *evaluator);

/* The rpu evaluator: {"kind": "rpu", "hardware", "drift_times",
 * "repeats"} (codec_train.c); and its echo. */
int codec__rpu(json_t *v, struct run_spec *out, struct anas_error *err);

/* codec_prune.c: "pruner" (after objectives are parsed: it follows them),
 * and its echo. */
int codec__pruner(json_t *v, struct run_spec *out, struct anas_error *err);
json_t *codec__pruner_to_json(const struct run_spec *s);
void codec__rpu_to_json(const struct run_spec *s, json_t *evaluator);

/* The shortest decimal that reads back as the same float (codec_analog.c). */
double codec__short_float(float f);

/* codec_analog.c: hardware configurations (lib/analog) in JSON, with
 * aihwkit's field names. v is {"preset": NAME, "overrides": {...}} (both
 * optional: the default preset is "aihwkit-default"); ptr is the JSON
 * pointer of v in the spec ("/evaluator/hardware") and prefixes the field
 * of every error, e.g. "/evaluator/hardware/overrides/forward/inp_res".
 * Unknown fields, wrong types, unknown enum names and out-of-range values
 * are rejected. */
int codec__hardware(json_t *v, const char *ptr, struct anas_analog_config *out,
                    struct anas_error *err);
/* The whole configuration as JSON, every field, enums by aihwkit's names
 * ("ITERATIVE", "ABS_MAX", "PCM"...): what the presets listing shows and
 * what a run's spec echoes. */
json_t *codec__hardware_to_json(const struct anas_analog_config *cfg);
/* One IOParameters block at ptr (the forward group's fields), and back. */
/* The library's dotted field of a failed check, as a pointer under
 * ptr/overrides. */
int codec__overrides_error(const struct anas_error *lerr, const char *ptr,
                           struct anas_error *err);

/* A preset name or {"preset", "overrides"} (codec_analog.c). */
struct codec_preset_ref {
    char name[64]; /* in: the default preset */
    json_t *overrides;
    char pp[200], po[200]; /* the preset's and the overrides' pointers */
};
int codec__preset_ref(json_t *v, const char *ptr, struct codec_preset_ref *r,
                      struct anas_error *err);

int codec__io(json_t *obj, const char *ptr, struct anas_analog_io *io, struct anas_error *err);
json_t *codec__io_to_json(const struct anas_analog_io *io);

/* codec_pulsed.c: an analog-training configuration (lib/analog/pulsed.h):
 * a preset name or {"preset", "overrides": {"forward", "backward",
 * "update", "device"}}; errors name the field's pointer under ptr. The
 * echo is the whole configuration as overrides of "constant-step". */
int codec__analog_training(json_t *v, const char *ptr, struct anas_analog_training *out,
                           struct anas_error *err);
json_t *codec__analog_training_to_json(const struct anas_analog_training *tc);

#endif
