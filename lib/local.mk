# libanas: pure compute, no HTTP, JSON, SQLite or libuv.
noinst_LIBRARIES += lib/libanas.a
lib_libanas_a_CPPFLAGS = $(AM_CPPFLAGS) $(BLAS_CFLAGS) $(XGBOOST_CFLAGS) $(ZLIB_CFLAGS)
lib_libanas_a_SOURCES = \
	lib/core/err.h lib/core/err.c \
	lib/core/alloc.h lib/core/alloc.c \
	lib/core/rng.h lib/core/rng.c \
	lib/core/log.h lib/core/log.c \
	lib/core/hash.h lib/core/hash.c \
	lib/core/fmt.h lib/core/fmt.c \
	lib/core/metrics.h lib/core/metrics.c \
	lib/space/space.h lib/space/space_int.h lib/space/space.c lib/space/resnet.c \
	lib/space/compose.c lib/space/encode.c \
	lib/space/ops.c \
	lib/surrogate/surrogate.h lib/surrogate/surrogate.c \
	lib/surrogate/surrogate_int.h lib/surrogate/check.c lib/surrogate/fit.c lib/surrogate/score.c \
	lib/eval/eval.h lib/eval/eval.c lib/eval/evaltrain.c \
	lib/search/search.h lib/search/search_int.h lib/search/search.c lib/search/random.c \
	lib/search/ea_analognas.c lib/search/pareto.c

lib_libanas_a_SOURCES += lib/search/evo.h lib/search/evo.c lib/search/ea.c
lib_libanas_a_SOURCES += lib/search/regevo.c
lib_libanas_a_SOURCES += lib/search/grid.c
lib_libanas_a_SOURCES += lib/search/nsga2.c lib/search/nsga2_int.h
lib_libanas_a_SOURCES += lib/search/bo.c lib/search/gp.c lib/search/gp.h
lib_libanas_a_SOURCES += lib/search/linas.c lib/search/linas_int.h
lib_libanas_a_SOURCES += lib/search/prune.c

# lib/nn and lib/tensor: the training engine's numerical core.
lib_libanas_a_SOURCES += lib/nn/net.h lib/nn/nn_int.h lib/nn/netdef.c \
	lib/tensor/blas.h lib/tensor/blas.c lib/tensor/tensor.h lib/tensor/im2col.c \
	lib/nn/conv.c lib/nn/linear.c lib/nn/norm.c lib/nn/act.c lib/nn/pool.c \
	lib/nn/misc.c lib/nn/loss.c lib/nn/optim.c lib/nn/sched.c lib/nn/net.c lib/nn/run.c \
	lib/nn/gradplan.c lib/nn/access.c lib/tensor/vec.h

# lib/data: datasets (IDX, CIFAR-10, synthetic, aihwkit's tiny examples) and the batch loader.
lib_libanas_a_SOURCES += lib/data/data.h lib/data/data_int.h lib/data/dataset.c \
	lib/data/idx.c lib/data/cifar.c lib/data/synth.c lib/data/loader.c lib/data/tiny.c

# lib/eval: the training loop and safetensors export.
lib_libanas_a_SOURCES += lib/eval/train.h lib/eval/train.c lib/eval/safetensors.c \
	lib/eval/eval_int.h lib/eval/evalanalog.c lib/eval/evalrpu.c

# lib/space: the spaces beside resnet, each with its network builder.
lib_libanas_a_SOURCES += lib/space/lenet.c lib/space/mlp.c lib/space/linear.c lib/space/autoencoder.c \
	lib/space/rpu.c

# What links against libanas needs these.
LIBANAS_LIBS = lib/libanas.a $(XGBOOST_LIBS) $(BLAS_LIBS) $(ZLIB_LIBS) -lm

# lib/analog: simulated analog tiles (aihwkit semantics).
lib_libanas_a_SOURCES += lib/analog/analog.h lib/analog/analog_int.h lib/analog/config.c \
	lib/analog/io.c lib/analog/layer.c lib/analog/noise.c lib/analog/modifier.c \
	lib/analog/anet.c lib/analog/periph.h lib/analog/periph.c


# lib/analog: pulsed devices and analog training (aihwkit's pulsed tiles).
lib_libanas_a_SOURCES += lib/analog/pulsed.h lib/analog/pulsed_int.h lib/analog/pconfig.c \
	lib/analog/device.c lib/analog/pulsed.c lib/analog/pgrid.c
