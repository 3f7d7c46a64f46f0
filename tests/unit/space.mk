# tests for lib/space
