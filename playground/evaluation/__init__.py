"""Evaluation on the public sets, the quality report and the benchmarks. Imports service, testing, metrics
and everything below them."""
