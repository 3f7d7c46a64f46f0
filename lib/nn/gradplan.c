/*
 * gradplan.c - where each node's output gradient lives during backward.
 *
 * A node's gradient is needed only while backward runs between its first
 * writer (its consumer with the highest index, whose backward runs first)
 * and the node's own backward. Gradients whose lifetimes do not overlap
 * share memory, the way registers are allocated: walking the nodes in
 * backward order, a node's inputs get a block from a free list when their
 * first writer is reached, and the node's own block returns to the list
 * once its backward has run. In a residual network only a few gradients
 * are alive at once, so the gradient arena ends up a fraction of the
 * activation arena.
 *
 * Flatten and reshape nodes have no gradient of their own: they share
 * their input's (its "root"); so does a duplicate (net.c), the node it
 * duplicates'. An activation whose backward a batch norm
 * absorbs (see nn_int.h) keeps its gradient alive until that batch norm's
 * backward, which reads it. A block is zeroed by run.c right before its first writer
 * runs, since backward kernels add into gradients.
 */
#include "config.h"

#include "nn/nn_int.h"

#include "core/alloc.h"

/* The free blocks of the arena, as (offset, size) in floats. */
struct freelist {
    size_t *off, *size;
    int n;
    size_t end; /* high-water mark */
};

/* Best fit among the free blocks, else grow the arena. */
static size_t alloc_block(struct freelist *fl, size_t need)
{
    int best = -1;
    size_t at;

    for (int i = 0; i < fl->n; i++)
        if (fl->size[i] >= need && (best < 0 || fl->size[i] < fl->size[best]))
            best = i;
    if (best < 0) {
        /* a free block at the end can be extended rather than wasted */
        for (int i = 0; i < fl->n; i++)
            if (fl->off[i] + fl->size[i] == fl->end) {
                at = fl->off[i];
                fl->end = at + need;
                fl->off[i] = fl->off[--fl->n];
                fl->size[i] = fl->size[fl->n];
                return at;
            }
        at = fl->end;
        fl->end += need;
        return at;
    }
    at = fl->off[best];
    fl->off[best] += need;
    fl->size[best] -= need;
    if (fl->size[best] == 0) {
        fl->off[best] = fl->off[--fl->n];
        fl->size[best] = fl->size[fl->n];
    }
    return at;
}

/* Return a block, merging it with free neighbours. */
static void free_block(struct freelist *fl, size_t off, size_t size)
{
    for (int i = 0; i < fl->n; i++) {
        if (fl->off[i] + fl->size[i] == off) { /* left neighbour */
            off = fl->off[i];
            size += fl->size[i];
        } else if (off + size == fl->off[i]) { /* right neighbour */
            size += fl->size[i];
        } else {
            continue;
        }
        fl->off[i] = fl->off[--fl->n];
        fl->size[i] = fl->size[fl->n];
        i = -1; /* rescan: the grown block may touch another */
    }
    fl->off[fl->n] = off;
    fl->size[fl->n++] = size;
}

/* The node whose gradient node i shares: through views, and duplicates
 * (slot.alias). */
static int root(const struct anas_net *net, int i)
{
    for (;;) {
        if (anas__nn_is_view(net->def.nodes[i].op))
            i = net->def.nodes[i].in[0];
        else if (net->slot[i].alias >= 0)
            i = net->slot[i].alias;
        else
            return i;
    }
}

/* Views and duplicates run no backward of their own. */
static int shares(const struct anas_net *net, int i)
{
    return anas__nn_is_view(net->def.nodes[i].op) || net->slot[i].alias >= 0;
}

/* first[i]: the first writer of root node i's gradient (-1: none). A node
 * needs a gradient when it requires one and something that runs backward
 * reads it: the output, or a consumer that itself has one. */
static void first_writers(const struct anas_net *net, const char *req, int *first)
{
    const struct anas_netdef *def = &net->def;

    for (int i = 0; i < def->n; i++)
        first[i] = -1;
    if (req[root(net, net->output)])
        first[root(net, net->output)] = net->output;
    for (int j = net->output; j >= 1; j--) {
        const struct anas__nn_node *x = &def->nodes[j];

        /* j runs backward if its root has a gradient; a flatten passes the
         * role to its root, which is handled when reached */
        if (shares(net, j) || first[root(net, j)] < 0)
            continue;
        for (int k = 0; k < 2; k++) {
            int r = x->in[k] >= 0 ? root(net, x->in[k]) : -1;

            if (r >= 0 && req[r] && first[r] < 0)
                first[r] = j;
        }
    }
}

int anas__nn_plan_grads(struct anas_net *net, const char *req)
{
    const struct anas_netdef *def = &net->def;
    struct freelist fl = {NULL, NULL, 0, 0};
    int *first = anas_malloc((size_t)def->n * sizeof(*first));
    int rc = ANAS_ENOMEM;

    fl.off = anas_malloc((size_t)def->n * sizeof(*fl.off));
    fl.size = anas_malloc((size_t)def->n * sizeof(*fl.size));
    if (!first || !fl.off || !fl.size)
        goto out;
    first_writers(net, req, first);
    for (int i = 0; i < def->n; i++) {
        net->slot[i].grad = ANAS__NN_NONE;
        net->slot[i].zero[0] = net->slot[i].zero[1] = -1;
    }
    for (int t = net->output; t >= 1; t--) {
        const struct anas__nn_node *x = &def->nodes[t];
        int rt = root(net, t);

        /* blocks come alive at their first writer (the output: at once) */
        for (int k = -1; k < 2; k++) {
            int r = k < 0 ? (t == net->output ? rt : -1)
                          : (x->in[k] >= 0 ? root(net, x->in[k]) : -1);
            const struct anas__nn_node *rn;

            if (r < 0 || first[r] != t || net->slot[r].grad != ANAS__NN_NONE)
                continue;
            rn = &def->nodes[r];
            net->slot[r].grad =
                alloc_block(&fl, (size_t)net->max_batch * rn->c * rn->h * rn->w);
            if (k >= 0)
                net->slot[t].zero[k] = r;
        }
        /* ... and die once their node's backward has run: an activation
         * a batch norm absorbs, when the batch norm's has */
        if (!shares(net, t) && net->slot[t].grad != ANAS__NN_NONE &&
            !anas__nn_bwd_absorbed(net, t))
            free_block(&fl, net->slot[t].grad,
                       (size_t)net->max_batch * x->c * x->h * x->w);
        if (net->slot[t].fused_by >= 0 &&
            anas__nn_bwd_absorbed(net, net->slot[t].fused_by) &&
            net->slot[net->slot[t].fused_by].grad != ANAS__NN_NONE)
            free_block(&fl, net->slot[net->slot[t].fused_by].grad,
                       (size_t)net->max_batch * x->c * x->h * x->w);
    }
    for (int i = 1; i < def->n; i++)
        if (shares(net, i))
            net->slot[i].grad = net->slot[root(net, i)].grad;
    net->n_dacts = fl.end;
    rc = 0;
out:
    anas_free(first);
    anas_free(fl.off);
    anas_free(fl.size);
    return rc;
}
