"""Complex Langevin and score-based diffusion models for actions with a complex weight."""

__version__ = "0.1.0"


class CldmError(RuntimeError):
    """A failure the user must see: names what failed and why, never leaves garbage behind."""
