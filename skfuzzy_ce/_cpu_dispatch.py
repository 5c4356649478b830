"""Choice of the compiled kernels' CPU variant, once, at import.

Every compiled kernel module (``_fused``, ``_hessian``, ``_cd``) is built from the same
sources several times with different compiler flags (``_ext/meson.build``):

``baseline``
    the build's default target (x86-64: SSE2), always present;
``avx2``
    AVX2 and FMA, ``<kernel>_avx2``;
``avx512``
    AVX-512 (F, CD, VL, BW, DQ) and FMA, 512-bit vectors, ``<kernel>_avx512``.

The widest variant that was built and that the CPU runs is used, unless the environment
variable ``SKFUZZY_CE_CPU_VARIANT`` names one (for tests and bug reports); a variant that is
unknown, not built, or not supported by this CPU is then an error at import. The variants
contract ``a * b + c`` into FMA, so their results differ from the baseline's by rounding only
(documented in ``docs/performance.rst``); within one variant they are bitwise identical for
every thread count.

The CPU's features come from numpy's own run-time detection
(``numpy._core._multiarray_umath.__cpu_features__``, which checks that the operating system
saves the wide registers too), else from the flags of ``/proc/cpuinfo`` (Linux), else none
are assumed (baseline only).
"""

import contextlib
import importlib
import importlib.util
import os
import types

__all__ = [
    "ENV_VAR",
    "VARIANTS",
    "active",
    "built_variants",
    "cpu_features",
    "load_variant",
    "select_variant",
    "supported_variants",
]

ENV_VAR = "SKFUZZY_CE_CPU_VARIANT"

# Narrowest first.
VARIANTS = ("baseline", "avx2", "avx512")
_SUFFIX = {"baseline": "", "avx2": "_avx2", "avx512": "_avx512"}
_KERNELS = ("_fused", "_hessian", "_cd")

# The CPU features each variant's flags let the compiler use (names of numpy's detection).
_REQUIRED = {
    "baseline": (),
    "avx2": ("AVX", "AVX2", "FMA3"),
    "avx512": ("AVX", "AVX2", "FMA3", "AVX512F", "AVX512CD", "AVX512VL", "AVX512BW",
               "AVX512DQ"),
}
# The same features as /proc/cpuinfo's flags name them.
_CPUINFO_FLAG = {
    "AVX": "avx",
    "AVX2": "avx2",
    "FMA3": "fma",
    "AVX512F": "avx512f",
    "AVX512CD": "avx512cd",
    "AVX512VL": "avx512vl",
    "AVX512BW": "avx512bw",
    "AVX512DQ": "avx512dq",
}
_FEATURES = tuple(_CPUINFO_FLAG)


def _numpy_features():
    for name in ("numpy._core._multiarray_umath", "numpy.core._multiarray_umath"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        features = getattr(module, "__cpu_features__", None)
        if isinstance(features, dict) and features:
            return {f: bool(features.get(f, False)) for f in _FEATURES}
    return None


def _cpuinfo_features(path="/proc/cpuinfo"):
    try:
        with open(path) as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() in ("flags", "Features"):
                    flags = set(value.split())
                    return {f: _CPUINFO_FLAG[f] in flags for f in _FEATURES}
    except OSError:
        pass
    return None


def cpu_features():
    """``(features, source)``: the features the variants need, each True or False, and
    where they were read (``"numpy"``, ``"/proc/cpuinfo"`` or ``"none"``: all False)."""
    features = _numpy_features()
    if features is not None:
        return features, "numpy"
    features = _cpuinfo_features()
    if features is not None:
        return features, "/proc/cpuinfo"
    return {f: False for f in _FEATURES}, "none"


def _module_name(kernel, variant):
    return f"{__package__}.{kernel}{_SUFFIX[variant]}"


def built_variants():
    """The variants whose three kernel modules are installed, narrowest first."""
    return tuple(
        v for v in VARIANTS
        if all(importlib.util.find_spec(_module_name(k, v)) is not None for k in _KERNELS)
    )


def _missing_features(variant, features):
    return [f for f in _REQUIRED[variant] if not features.get(f, False)]


def supported_variants(features=None):
    """The built variants this CPU runs (``features``: as from :func:`cpu_features`)."""
    if features is None:
        features = cpu_features()[0]
    return tuple(v for v in built_variants() if not _missing_features(v, features))


def select_variant(environ=None, features=None):
    """``(variant, how)``: the variant named by ``SKFUZZY_CE_CPU_VARIANT`` in ``environ``
    (default ``os.environ``; how = ``"forced by SKFUZZY_CE_CPU_VARIANT"``), else the widest
    supported one (how = ``"auto"``).

    Raises
    ------
    ValueError
        The variable names no known variant.
    RuntimeError
        It names a variant that was not built, or that this CPU does not run.
    """
    environ = os.environ if environ is None else environ
    if features is None:
        features = cpu_features()[0]
    forced = environ.get(ENV_VAR, "").strip().lower()
    if not forced or forced == "auto":
        return supported_variants(features)[-1], "auto"
    if forced not in VARIANTS:
        raise ValueError(
            f"{ENV_VAR}={environ[ENV_VAR]!r} names no CPU variant of skfuzzy_ce's kernels: "
            f"expected one of {', '.join(VARIANTS)} (or auto, or unset)."
        )
    built = built_variants()
    if forced not in built:
        raise RuntimeError(
            f"{ENV_VAR}={forced}: this build of skfuzzy_ce has no {forced} kernels (the "
            f"compiler lacked its flags, or they were disabled); built: {', '.join(built)}."
        )
    missing = _missing_features(forced, features)
    if missing:
        raise RuntimeError(
            f"{ENV_VAR}={forced}: this CPU lacks {', '.join(missing)}, which the {forced} "
            f"kernels need; it runs: {', '.join(supported_variants(features))}."
        )
    return forced, f"forced by {ENV_VAR}"


def load_variant(variant):
    """The kernel modules of ``variant``: a namespace with ``fused``, ``hessian``, ``cd``
    and ``name``. Does not check the CPU (see :func:`supported_variants`)."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown CPU variant {variant!r}: expected one of {VARIANTS}")
    modules = {k.lstrip("_"): importlib.import_module(_module_name(k, variant)) for k in _KERNELS}
    return types.SimpleNamespace(name=variant, **modules)


_SELECTED, _HOW = select_variant()
_ACTIVE = load_variant(_SELECTED)


def active():
    """The kernel modules in use (a namespace as from :func:`load_variant`)."""
    return _ACTIVE


def how_selected():
    """How the variant in use was chosen: ``"auto"`` or ``"forced by ..."``."""
    return _HOW


@contextlib.contextmanager
def use_variant(variant):
    """Make ``variant``'s kernels the ones in use inside the block (tests): objects made
    inside it keep the kernels they were made with."""
    global _ACTIVE
    if variant not in supported_variants():
        raise RuntimeError(f"CPU variant {variant!r} is not supported here")
    previous, _ACTIVE = _ACTIVE, load_variant(variant)
    try:
        yield _ACTIVE
    finally:
        _ACTIVE = previous
