"""Figures: vector fields on a grid and the study's matplotlib figures."""
