/*
 * access.c - what code outside lib/nn may learn about a net's layers:
 * enough for lib/analog to map weight matrices onto tiles without knowing
 * the net's internal layout.
 */
#include "config.h"

#include "nn/net.h"

#include "nn/nn_int.h"

int anas_net_layer(const struct anas_net *net, int node, struct anas_net_layer *out)
{
    const struct anas__nn_node *x, *in;

    if (!net || !out || node < 0 || node >= net->def.n)
        return ANAS_EINVAL;
    x = &net->def.nodes[node];
    *out = (struct anas_net_layer){.op = x->op, .name = x->name,
                                   .weight = net->slot[node].weight,
                                   .bias = net->slot[node].bias};
    if (x->in[0] < 0)
        return 0;
    in = &net->def.nodes[x->in[0]];
    out->c = in->c, out->h = in->h, out->w = in->w;
    if (x->op == ANAS_OP_CONV2D)
        out->k = x->k, out->stride = x->stride, out->pad = x->pad;
    if (x->op == ANAS_OP_CONV2D) {
        out->d = x->c;
        out->n = in->c * x->k * x->k;
    } else if (x->op == ANAS_OP_LINEAR) {
        out->d = x->c;
        out->n = in->c * in->h * in->w;
    }
    return 0;
}
