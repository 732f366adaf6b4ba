"""Evaluation: eval, the quality report and the bench inputs."""
