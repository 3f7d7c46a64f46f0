# anas-workers on a real Slurm started by the test (tests/slurm/slurm.sh):
# with --enable-slurm-tests only (packaging/test's build-test), since it
# needs root and Debian's slurmctld, slurmd and munge.
if SLURM_TESTS
TESTS += tests/slurm/slurm.sh
endif
EXTRA_DIST += tests/slurm/slurm.sh tests/slurm/slurm.mk
