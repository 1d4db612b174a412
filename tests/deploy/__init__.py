"""Deployment tests (issue 16): the Dockerfile and compose.yaml, without a container engine."""
