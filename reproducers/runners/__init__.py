"""Runners execute one seed of a paper's protocol: in this process (local) or in a container (docker)."""
