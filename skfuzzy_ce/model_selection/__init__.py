"""Cross-validation splitters for soft labels."""

from ._split import SoftStratifiedKFold

__all__ = ["SoftStratifiedKFold"]
