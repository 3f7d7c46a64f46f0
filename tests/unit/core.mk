# tests for lib/core
