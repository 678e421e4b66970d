"""The scale benchmark (python -m benchmarks.run); see benchmarks/README.md."""
