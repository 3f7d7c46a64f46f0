# tests for lib/search
