/*
 * loss.c - losses with PyTorch's 'mean' reduction, and log-softmax.
 *
 * Each loss returns the mean over the batch (MSE: over all values) and
 * WRITES (does not accumulate) the gradient of that mean. Softmax and
 * log-softmax subtract the row maximum before exponentiating (log-sum-exp),
 * with the sums in double, so that large logits neither overflow nor lose
 * the small terms.
 */
#include "config.h"

#include "nn/net.h"

#include <math.h>

/* log(sum(exp(x))) of a row of K, and its maximum. */
static double logsumexp(const float *x, int K)
{
    float mx = x[0];
    double s = 0.0;

    for (int k = 1; k < K; k++)
        mx = x[k] > mx ? x[k] : mx;
    for (int k = 0; k < K; k++)
        s += exp((double)x[k] - mx);
    return mx + log(s);
}

static int check_labels(const int *labels, int B, int K)
{
    if (B < 1 || K < 1)
        return ANAS_EINVAL;
    for (int b = 0; b < B; b++)
        if (labels[b] < 0 || labels[b] >= K)
            return ANAS_EINVAL;
    return 0;
}

int anas_loss_xent(float *loss, float *dlogits, const float *logits, const int *labels,
                   int B, int K)
{
    double total = 0.0;
    int rc = check_labels(labels, B, K);

    if (rc)
        return rc;
    for (int b = 0; b < B; b++) {
        const float *x = logits + (size_t)b * K;
        float *dx = dlogits ? dlogits + (size_t)b * K : NULL;
        double lse = logsumexp(x, K);

        total += lse - x[labels[b]];
        if (!dx)
            continue;
        /* d(mean)/dx = (softmax(x) - onehot) / B */
        for (int k = 0; k < K; k++)
            dx[k] = (float)(exp((double)x[k] - lse) / B);
        dx[labels[b]] -= 1.0f / (float)B;
    }
    *loss = (float)(total / B);
    return isfinite(*loss) ? 0 : ANAS_ENUMERIC;
}

int anas_loss_nll(float *loss, float *dlogp, const float *logp, const int *labels, int B,
                  int K)
{
    double total = 0.0;
    int rc = check_labels(labels, B, K);

    if (rc)
        return rc;
    for (int b = 0; b < B; b++) {
        total -= logp[(size_t)b * K + labels[b]];
        if (!dlogp)
            continue;
        for (int k = 0; k < K; k++)
            dlogp[(size_t)b * K + k] = 0.0f;
        dlogp[(size_t)b * K + labels[b]] = -1.0f / (float)B;
    }
    *loss = (float)(total / B);
    return isfinite(*loss) ? 0 : ANAS_ENUMERIC;
}

void anas_log_softmax_forward(float *out, const float *in, int B, int K)
{
    for (int b = 0; b < B; b++) {
        const float *x = in + (size_t)b * K;
        float *y = out + (size_t)b * K;
        double lse = logsumexp(x, K);

        for (int k = 0; k < K; k++)
            y[k] = (float)(x[k] - lse);
    }
}

/* y = x - lse(x): dx = dy - softmax(x) * sum(dy), softmax(x) = exp(y). */
void anas_log_softmax_backward(float *din, const float *dout, const float *out, int B,
                               int K)
{
    for (int b = 0; b < B; b++) {
        const float *dy = dout + (size_t)b * K;
        const float *y = out + (size_t)b * K;
        float *dx = din + (size_t)b * K;
        double s = 0.0;

        for (int k = 0; k < K; k++)
            s += dy[k];
        for (int k = 0; k < K; k++)
            dx[k] = (float)(dy[k] - exp((double)y[k]) * s);
    }
}

int anas_loss_mse(float *loss, float *dpred, const float *pred, const float *target,
                  size_t n)
{
    double total = 0.0;
    float norm = 2.0f / (float)n; /* PyTorch's mse_loss_backward scales by 2/n */

    if (n == 0)
        return ANAS_EINVAL;
    for (size_t i = 0; i < n; i++) {
        float d = pred[i] - target[i];

        total += (double)d * d;
        if (dpred)
            dpred[i] = norm * d;
    }
    *loss = (float)(total / (double)n);
    return isfinite(*loss) ? 0 : ANAS_ENUMERIC;
}
