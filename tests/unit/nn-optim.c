/*
 * nn-optim.c - SGD, Adam and AdamW against torch.optim.
 *
 * Three parameters take three steps with gradients g_t = (0.1 t, -0.2,
 * 0.3 / t). The first step of each is also worked out by hand in the
 * comments; the three-step values were produced by PyTorch 1.13 with the
 * same hyperparameters and are compared to 1e-6.
 */
#include "config.h"

#include "nn/net.h"

#include "core/alloc.h"

#include "tap.h"

static void run3(const struct anas_optim_spec *spec, float p[3])
{
    struct anas_optim *o = anas_optim_new(spec, 3, NULL);

    p[0] = 1.0f, p[1] = -2.0f, p[2] = 0.5f;
    for (int t = 1; t <= 3; t++) {
        float g[3] = {0.1f * (float)t, -0.2f, 0.3f / (float)t};

        anas_optim_step(o, p, g);
    }
    anas_optim_free(o);
}

static void expect(const char *what, const struct anas_optim_spec *spec,
                   const double want[3])
{
    float p[3];
    int good = 1;

    run3(spec, p);
    for (int i = 0; i < 3; i++)
        if (fabs(p[i] - want[i]) > 1e-6) {
            printf("#   %s [%d]: got %.9g, want %.9g\n", what, i, p[i], want[i]);
            good = 0;
        }
    ok(good, "%s: three steps match torch.optim", what);
}

static void first_steps(void)
{
    struct anas_optim_spec sgd = {
        .kind = ANAS_OPTIM_SGD, .lr = 0.1f, .momentum = 0.9f, .weight_decay = 0.01f};
    struct anas_optim_spec adam = {.kind = ANAS_OPTIM_ADAM,
                                   .lr = 0.01f,
                                   .beta1 = 0.9f,
                                   .beta2 = 0.999f,
                                   .eps = 1e-8f};
    struct anas_optim *o;
    float p[1] = {1.0f}, g[1] = {0.5f};

    /* SGD, first step: buf = g + wd p = 0.51 (no momentum decay yet),
     * p = 1 - 0.1 * 0.51 = 0.949 */
    o = anas_optim_new(&sgd, 1, NULL);
    anas_optim_step(o, p, g);
    is_near(p[0], 0.949, 1e-7,
            "SGD first step: the momentum buffer starts at the gradient");
    /* second step: d = 0.5 + 0.01 * 0.949, buf = 0.9 * 0.51 + d */
    anas_optim_step(o, p, g);
    is_near(p[0], 0.949 - 0.1 * (0.9 * 0.51 + 0.5 + 0.01 * 0.949), 1e-6,
            "SGD second step: buf = momentum * buf + grad (dampening 0)");
    anas_optim_free(o);

    /* Adam, first step: m = 0.1 g, v = 0.001 g^2; corrected they are g and
     * g^2, so p moves by lr * g / (|g| + eps') = lr */
    p[0] = 1.0f;
    o = anas_optim_new(&adam, 1, NULL);
    anas_optim_step(o, p, g);
    is_near(p[0], 1.0 - 0.01, 1e-6, "Adam first step moves by lr (bias correction)");
    anas_optim_set_lr(o, 0.0f);
    anas_optim_step(o, p, g);
    is_near(p[0], 0.99, 1e-7, "set_lr(0) freezes the parameters");
    anas_optim_free(o);
}

int main(void)
{
    static const double sgd[3] = {0.939999998, -1.94000006, 0.444999993};
    static const double sgd_mom_wd[3] = {0.899352849, -1.87668562, 0.377526343};
    static const double sgd_nesterov[3] = {0.846549988, -1.82322776, 0.33352533};
    static const double adam[3] = {0.970768154, -1.97000003, 0.471946627};
    static const double adam_wd[3] = {0.970214248, -1.97000241, 0.47139585};
    static const double adamw[3] = {0.967800856, -1.96403611, 0.470477462};
    struct anas_optim_spec s;
    struct anas_error err;
    float p[3];

    plan(14);
    first_steps();
    s = (struct anas_optim_spec){.kind = ANAS_OPTIM_SGD, .lr = 0.1f};
    expect("SGD lr 0.1", &s, sgd);
    s.momentum = 0.9f, s.weight_decay = 0.01f;
    expect("SGD momentum 0.9 weight_decay 0.01", &s, sgd_mom_wd);
    s.nesterov = 1;
    expect("SGD nesterov", &s, sgd_nesterov);
    s = (struct anas_optim_spec){.kind = ANAS_OPTIM_ADAM,
                                 .lr = 0.01f,
                                 .beta1 = 0.9f,
                                 .beta2 = 0.999f,
                                 .eps = 1e-8f};
    expect("Adam lr 0.01", &s, adam);
    s.weight_decay = 0.1f;
    expect("Adam weight_decay 0.1 (L2 in the gradient)", &s, adam_wd);
    s.kind = ANAS_OPTIM_ADAMW;
    expect("AdamW weight_decay 0.1 (decoupled)", &s, adamw);

    s = (struct anas_optim_spec){.kind = ANAS_OPTIM_SGD, .lr = 0.1f, .nesterov = 1};
    ok(!anas_optim_new(&s, 3, &err) && err.code == ANAS_EINVAL,
       "nesterov without momentum is refused, as PyTorch");
    s = (struct anas_optim_spec){
        .kind = ANAS_OPTIM_ADAM, .lr = 0.01f, .beta1 = 1.0f, .beta2 = 0.999f};
    ok(!anas_optim_new(&s, 3, &err) && err.code == ANAS_ERANGE, "beta1 = 1 is refused");
    s.beta1 = 0.9f;
    anas_alloc_fail_after(1);
    ok(!anas_optim_new(&s, 3, &err) && err.code == ANAS_ENOMEM,
       "out of memory for the moments: NULL and ANAS_ENOMEM, nothing leaked");
    anas_alloc_fail_after(-1);

    /* the state is allocated up front: steps allocate nothing */
    s = (struct anas_optim_spec){.kind = ANAS_OPTIM_ADAMW,
                                 .lr = 0.01f,
                                 .beta1 = 0.9f,
                                 .beta2 = 0.999f,
                                 .eps = 1e-8f,
                                 .weight_decay = 0.1f};
    {
        struct anas_optim *o = anas_optim_new(&s, 3, NULL);
        float g[3] = {1, 2, 3};

        p[0] = p[1] = p[2] = 1.0f;
        anas_alloc_fail_after(0);
        anas_optim_step(o, p, g);
        anas_alloc_fail_after(-1);
        ok(p[0] < 1.0f, "a step runs with allocation failing");
        anas_optim_free(o);
    }
    return done();
}
