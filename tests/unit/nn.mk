# lib/tensor's thread team and Winograd transforms. These belong in
# lib/local.mk with the rest of lib/tensor (another engineer's file at the
# time they were written); automake reads all fragments as one Makefile.am,
# so listing them here builds the same library.
lib_libanas_a_SOURCES += lib/tensor/team.h lib/tensor/team.c lib/tensor/winograd.h \
	lib/tensor/winograd.c

# tests for lib/tensor and lib/nn
UNIT_PROGS += tests/unit/tensor-im2col
UNIT_CHECKS += tests/unit/tensor-im2col
tests_unit_tensor_im2col_LDADD = $(UNIT_LIBS)

UNIT_PROGS += tests/unit/nn-gradcheck
UNIT_CHECKS += tests/unit/nn-gradcheck
tests_unit_nn_gradcheck_LDADD = $(UNIT_LIBS)

UNIT_PROGS += tests/unit/nn-forward
UNIT_CHECKS += tests/unit/nn-forward
tests_unit_nn_forward_LDADD = $(UNIT_LIBS)

UNIT_PROGS += tests/unit/nn-optim
UNIT_CHECKS += tests/unit/nn-optim
tests_unit_nn_optim_LDADD = $(UNIT_LIBS)

UNIT_PROGS += tests/unit/nn-sched
UNIT_CHECKS += tests/unit/nn-sched
tests_unit_nn_sched_LDADD = $(UNIT_LIBS)

UNIT_PROGS += tests/unit/nn-net
UNIT_CHECKS += tests/unit/nn-net
tests_unit_nn_net_LDADD = $(UNIT_LIBS)

UNIT_PROGS += tests/unit/tensor-winograd
UNIT_CHECKS += tests/unit/tensor-winograd
tests_unit_tensor_winograd_LDADD = $(UNIT_LIBS)

UNIT_PROGS += tests/unit/tensor-team
UNIT_CHECKS += tests/unit/tensor-team
tests_unit_tensor_team_LDADD = $(UNIT_LIBS)

UNIT_PROGS += tests/unit/nn-bn-epilogue
UNIT_CHECKS += tests/unit/nn-bn-epilogue
tests_unit_nn_bn_epilogue_LDADD = $(UNIT_LIBS)
