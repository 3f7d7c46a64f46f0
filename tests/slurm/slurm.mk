# anas-workers on a real Slurm started by the test (tests/slurm/slurm.sh):
# with --enable-slurm-tests only (packaging/test's build-test), since it
# needs root and Debian's slurmctld, slurmd and munge.
if SLURM_TESTS
TESTS += tests/slurm/slurm.sh
endif
EXTRA_DIST += tests/slurm/slurm.sh

# Run by hand: remote workers against anasd's own threads on the same
# searches (tests/bench/worker-throughput), and how many lease cycles a
# second one anasd serves to many fake workers (tests/bench/lease-load).
EXTRA_DIST += tests/bench/worker-throughput tests/bench/lease-load tests/bench/lease_workers.py
