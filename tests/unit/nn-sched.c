/*
 * nn-sched.c - learning-rate schedules against PyTorch's StepLR and
 * CosineAnnealingLR stepped once per epoch (values from PyTorch 1.13).
 */
#include "config.h"

#include "nn/net.h"

#include "tap.h"

int main(void)
{
    static const double step[8] = {0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025};
    /* T_max 5, eta_min 0.001: down to eta_min at epoch 5, then back up */
    static const double cosine[12] = {0.1,          0.0905463412, 0.0657963412,
                                      0.0352036588, 0.0104536588, 0.001,
                                      0.0104536588, 0.0352036588, 0.0657963412,
                                      0.0905463412, 0.1,          0.0905463412};
    struct anas_sched s = {.kind = ANAS_SCHED_CONSTANT, .base_lr = 0.1f};
    int good = 1;

    plan(4);
    for (int e = 0; e < 50; e++)
        good &= anas_sched_lr(&s, e) == 0.1f;
    ok(good, "constant: base_lr every epoch");

    s = (struct anas_sched){
        .kind = ANAS_SCHED_STEP, .base_lr = 0.1f, .step_size = 3, .gamma = 0.5f};
    good = 1;
    for (int e = 0; e < 8; e++)
        good &= fabs(anas_sched_lr(&s, e) - step[e]) < 1e-8;
    ok(good, "StepLR(step_size 3, gamma 0.5): base * gamma^(epoch / 3)");

    s = (struct anas_sched){
        .kind = ANAS_SCHED_COSINE, .base_lr = 0.1f, .t_max = 5, .eta_min = 0.001f};
    good = 1;
    for (int e = 0; e < 12; e++)
        if (fabs(anas_sched_lr(&s, e) - cosine[e]) > 1e-8) {
            printf("#   epoch %d: got %.9g, want %.9g\n", e, anas_sched_lr(&s, e),
                   cosine[e]);
            good = 0;
        }
    ok(good, "CosineAnnealingLR(T_max 5, eta_min 0.001), past T_max too");
    s.eta_min = 0.0f;
    is_near(anas_sched_lr(&s, 5), 0.0, 1e-9, "cosine reaches eta_min at T_max");
    return done();
}
