"""Shared test helpers."""


def pull_report(rows: list[tuple]) -> str:
    """Rows (name, value, exact, error) as text, for assertion messages."""
    return "\n".join(f"{name}: {v:.6f} vs {e:.6f} +- {s:.6f} (pull {(v - e) / s:+.2f})" for name, v, e, s in rows)
