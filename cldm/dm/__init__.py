"""Diffusion models: the VE SDE, score networks, training and reverse-time samplers (torch)."""
