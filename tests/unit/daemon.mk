# tests for lib/daemon
