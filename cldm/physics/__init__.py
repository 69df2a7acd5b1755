"""Physics: actions, exact results, complex Langevin and its diagnostics (numpy only)."""
