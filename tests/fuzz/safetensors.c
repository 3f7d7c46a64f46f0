/*
 * safetensors.c - fuzz target: the .safetensors reader
 * (anas_net_load_safetensors, what the rpu evaluator reads a train run's
 * model with), on the input written as a file, into a small net with
 * every kind of tensor: a convolution's weight, batch norm's weight, bias
 * and running statistics (state, num_batches_tracked included) and a
 * linear layer's weight and bias.
 *
 *     features.0.weight [2,1,3,3]   features.1.{weight,bias,running_mean,
 *     fc.weight [3,32]              running_var} [2], .num_batches_tracked []
 *     fc.bias [3]
 *
 * Invariant: a refused file leaves the net as it was (the reader stages
 * everything before it commits); an accepted one is then put back.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "core/rng.h"
#include "eval/train.h"
#include "fuzz.h"

static char path[600];
static struct anas_net *net;
static float *params0, *state0;
static size_t np, ns;

static void shut(void)
{
    anas_net_free(net);
    free(params0);
    free(state0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    struct anas_netdef *def = anas_netdef_new(1, 4, 4);
    struct anas_rng rng;
    int x;

    (void)argc;
    (void)argv;
    snprintf(path, sizeof path, "%s/model.safetensors", fuzz_dir());
    x = anas_netdef_conv2d(def, 0, 2, 3, 1, 1, 0, "features.0");
    x = anas_netdef_batchnorm(def, x, "features.1");
    x = anas_netdef_flatten(def, x, "flat");
    anas_netdef_linear(def, x, 3, 1, "fc");
    net = anas_net_new(def, 1, NULL);
    anas_netdef_free(def);
    if (!net)
        abort();
    anas_rng_seed(&rng, 1);
    anas_net_init(net, &rng);
    anas_net_params(net, &np);
    anas_net_state(net, &ns);
    params0 = malloc(np * sizeof(float));
    state0 = malloc(ns * sizeof(float));
    if (!params0 || !state0)
        abort();
    memcpy(params0, anas_net_params(net, NULL), np * sizeof(float));
    memcpy(state0, anas_net_state(net, NULL), ns * sizeof(float));
    atexit(shut);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct anas_error err;

    fuzz_write(path, data, size);
    anas_error_clear(&err);
    if (anas_net_load_safetensors(net, path, &err) < 0) {
        FUZZ_CHECK(err.code < 0 && err.msg[0], "refusal without a code or message");
        FUZZ_CHECK(memcmp(anas_net_params(net, NULL), params0, np * sizeof(float)) == 0 &&
                       memcmp(anas_net_state(net, NULL), state0, ns * sizeof(float)) == 0,
                   "a refused file changed the net: %s", err.msg);
        return 0;
    }
    memcpy(anas_net_params(net, NULL), params0, np * sizeof(float));
    memcpy(anas_net_state(net, NULL), state0, ns * sizeof(float));
    return 0;
}
