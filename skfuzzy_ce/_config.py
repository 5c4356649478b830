"""show_config: the build and run-time configuration of the package's compiled kernels."""

import sys

from . import _cpu_dispatch

__all__ = ["show_config"]


def _config():
    import numpy
    import scipy

    from . import __version__

    features, source = _cpu_dispatch.cpu_features()
    kernels = _cpu_dispatch.active()
    return {
        "version": __version__,
        "python": sys.version.split()[0],
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "kernels": {
            "variant": kernels.name,
            "selected": _cpu_dispatch.how_selected(),
            "built": list(_cpu_dispatch.built_variants()),
            "supported": list(_cpu_dispatch.supported_variants(features)),
            "cpu_features": features,
            "cpu_features_source": source,
            "modules": [kernels.fused.__name__, kernels.hessian.__name__, kernels.cd.__name__],
            "softmax_tiles": bool(kernels.fused.softmax_tiles_available()),
        },
    }


def show_config(mode="stdout"):
    """Show the CPU variant of the compiled kernels in use, and how it was chosen.

    The kernels are compiled several times from the same sources: ``baseline`` (the
    build's default target; x86-64: SSE2), ``avx2`` (AVX2 and FMA) and ``avx512``
    (AVX-512 F/CD/VL/BW/DQ and FMA), the latter two on x86-64 when the compiler supports
    them. At import the widest variant that was built and that the CPU runs is chosen;
    the environment variable ``SKFUZZY_CE_CPU_VARIANT`` (``baseline``, ``avx2``,
    ``avx512`` or ``auto``) forces one instead, and importing ``skfuzzy_ce`` fails with a
    clear error when the forced variant is unknown, not built or not run by this CPU. The
    variants' results agree to rounding (see :doc:`/performance`); within one variant they
    are bitwise the same for every ``n_threads``. Please include this output in bug
    reports.

    Parameters
    ----------
    mode : {"stdout", "dicts"}, default="stdout"
        ``"stdout"``: print the configuration; ``"dicts"``: return it.

    Returns
    -------
    config : dict or None
        With ``mode="dicts"``: ``"version"``, ``"python"``, ``"numpy"``, ``"scipy"`` and
        ``"kernels"``, a dict with ``"variant"`` (in use), ``"selected"`` (``"auto"`` or
        ``"forced by SKFUZZY_CE_CPU_VARIANT"``), ``"built"``, ``"supported"`` (the built
        variants this CPU runs), ``"cpu_features"`` (each feature the variants need: True
        or False), ``"cpu_features_source"`` (``"numpy"``'s run-time detection,
        ``"/proc/cpuinfo"`` or ``"none"``), ``"modules"`` (the kernel modules in use) and
        ``"softmax_tiles"`` (whether the variant has the register-tile softmax block for 2
        to 4 outputs and few features, float64: see :doc:`/performance`).
        None with ``mode="stdout"``.

    Examples
    --------
    >>> import skfuzzy_ce
    >>> skfuzzy_ce.show_config()  # doctest: +ELLIPSIS
    skfuzzy_ce ...
    compiled kernels:
      variant: ...
    >>> config = skfuzzy_ce.show_config(mode="dicts")
    >>> config["kernels"]["variant"] in config["kernels"]["supported"]
    True
    """
    if mode not in ("stdout", "dicts"):
        raise ValueError(f'mode must be "stdout" or "dicts", got {mode!r}')
    config = _config()
    if mode == "dicts":
        return config
    k = config["kernels"]
    have = [f for f, present in k["cpu_features"].items() if present]
    lines = [
        f"skfuzzy_ce {config['version']} (python {config['python']}, numpy "
        f"{config['numpy']}, scipy {config['scipy']})",
        "compiled kernels:",
        f"  variant: {k['variant']} ({k['selected']})",
        f"  built: {', '.join(k['built'])}",
        f"  supported by this CPU: {', '.join(k['supported'])}",
        f"  CPU features ({k['cpu_features_source']}): {', '.join(have) or 'none of them'}",
        f"  modules: {', '.join(k['modules'])}",
        f"  softmax register tiles (2-4 outputs, float64): "
        f"{'yes' if k['softmax_tiles'] else 'no'}",
    ]
    print("\n".join(lines))
    return None
