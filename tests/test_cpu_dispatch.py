"""CPU variants of the compiled kernels (_cpu_dispatch): the choice at import, the forcing
variable, its errors, show_config, and the variants' results against each other (the kernel
tests themselves run once per variant: the cpu_variant fixture of conftest.py)."""

import os
import subprocess
import sys

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal

import skfuzzy_ce
from skfuzzy_ce import _cpu_dispatch
from skfuzzy_ce._fused_objective import FusedLinearObjective

SUPPORTED = _cpu_dispatch.supported_variants()
BUILT = _cpu_dispatch.built_variants()
ALL_FEATURES = {f: True for f in _cpu_dispatch._FEATURES}
NO_FEATURES = {f: False for f in _cpu_dispatch._FEATURES}


def run_python(code, variant=None):
    """Run ``code`` in a fresh interpreter, SKFUZZY_CE_CPU_VARIANT set to ``variant``
    (None: unset)."""
    env = dict(os.environ)
    env.pop(_cpu_dispatch.ENV_VAR, None)
    if variant is not None:
        env[_cpu_dispatch.ENV_VAR] = variant
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )


def test_baseline_always_built_and_supported():
    assert BUILT[0] == "baseline" and SUPPORTED[0] == "baseline"
    assert set(SUPPORTED) <= set(BUILT) <= set(_cpu_dispatch.VARIANTS)
    # Narrowest first, in VARIANTS order.
    assert list(BUILT) == [v for v in _cpu_dispatch.VARIANTS if v in BUILT]


def test_auto_is_the_widest_supported():
    variant, how = _cpu_dispatch.select_variant(environ={})
    assert variant == SUPPORTED[-1] and how == "auto"
    assert _cpu_dispatch.select_variant(environ={_cpu_dispatch.ENV_VAR: "auto"})[0] == variant
    # Without features only the baseline qualifies; with all, the widest built one.
    assert _cpu_dispatch.select_variant(environ={}, features=NO_FEATURES)[0] == "baseline"
    assert _cpu_dispatch.select_variant(environ={}, features=ALL_FEATURES)[0] == BUILT[-1]


def test_features_from_numpy_and_cpuinfo_agree(tmp_path):
    features, source = _cpu_dispatch.cpu_features()
    assert set(features) == set(_cpu_dispatch._FEATURES)
    assert source in ("numpy", "/proc/cpuinfo", "none")
    if os.path.exists("/proc/cpuinfo") and source == "numpy":
        from_cpuinfo = _cpu_dispatch._cpuinfo_features()
        if from_cpuinfo is not None and any(from_cpuinfo.values()):
            assert from_cpuinfo == features
    # A cpuinfo file parsed as Linux writes it; an absent one gives None.
    fake = tmp_path / "cpuinfo"
    fake.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma\n\nprocessor\t: 1\n")
    parsed = _cpu_dispatch._cpuinfo_features(str(fake))
    assert parsed["AVX2"] and parsed["FMA3"] and not parsed["AVX512F"]
    assert _cpu_dispatch._cpuinfo_features(str(tmp_path / "absent")) is None
    assert _cpu_dispatch.supported_variants(parsed) == tuple(
        v for v in BUILT if v in ("baseline", "avx2")
    )


def test_forced_unknown_variant_is_a_value_error():
    with pytest.raises(ValueError, match="SKFUZZY_CE_CPU_VARIANT='sse4'.*baseline, avx2, avx512"):
        _cpu_dispatch.select_variant(environ={_cpu_dispatch.ENV_VAR: "sse4"})


@pytest.mark.parametrize("variant", [v for v in _cpu_dispatch.VARIANTS if v != "baseline"])
def test_forced_variant_the_cpu_lacks_is_a_clear_error(variant):
    if variant not in BUILT:
        with pytest.raises(RuntimeError, match=f"no {variant} kernels"):
            _cpu_dispatch.select_variant(environ={_cpu_dispatch.ENV_VAR: variant})
        return
    with pytest.raises(RuntimeError, match=r"this CPU lacks AVX.*runs: baseline\.$"):
        _cpu_dispatch.select_variant(
            environ={_cpu_dispatch.ENV_VAR: variant}, features=NO_FEATURES
        )


@pytest.mark.parametrize("variant", SUPPORTED)
def test_forced_variant_in_a_subprocess(variant):
    code = (
        "import skfuzzy_ce, numpy as np\n"
        "from skfuzzy_ce._fused_objective import FusedLinearObjective\n"
        "cfg = skfuzzy_ce.show_config(mode='dicts')['kernels']\n"
        "X = np.ones((3, 2)); Y = np.full((3, 3), 1 / 3)\n"
        "obj = FusedLinearObjective(X, Y, np.ones(3), np.ones(3), n_outputs=3, fit_intercept=True)\n"
        "print(cfg['variant'], cfg['selected'], obj._kernels.name,\n"
        "      obj._kernels.fused.__name__, obj._kernels.cd.__name__)\n"
    )
    result = run_python(code, variant.upper())  # case does not matter
    assert result.returncode == 0, result.stderr
    suffix = "" if variant == "baseline" else "_" + variant
    assert result.stdout.split() == [
        variant, "forced", "by", "SKFUZZY_CE_CPU_VARIANT", variant,
        f"skfuzzy_ce._fused{suffix}", f"skfuzzy_ce._cd{suffix}",
    ]


def test_unset_variable_selects_auto_in_a_subprocess():
    result = run_python(
        "import skfuzzy_ce; c = skfuzzy_ce.show_config(mode='dicts')['kernels'];"
        "print(c['variant'], c['selected'])"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [SUPPORTED[-1], "auto"]


def test_unsupported_forced_variant_fails_the_import_clearly():
    result = run_python("import skfuzzy_ce", "avx1024")
    assert result.returncode != 0
    assert "ValueError: SKFUZZY_CE_CPU_VARIANT='avx1024' names no CPU variant" in result.stderr
    unsupported = [v for v in _cpu_dispatch.VARIANTS if v not in SUPPORTED]
    for variant in unsupported:  # not built, or not run by this CPU
        result = run_python("import skfuzzy_ce", variant)
        assert result.returncode != 0
        assert f"RuntimeError: SKFUZZY_CE_CPU_VARIANT={variant}: " in result.stderr


def test_show_config(capsys):
    cfg = skfuzzy_ce.show_config(mode="dicts")
    kernels = cfg["kernels"]
    assert kernels["variant"] == _cpu_dispatch.active().name
    assert kernels["variant"] in kernels["supported"]
    assert tuple(kernels["built"]) == BUILT and tuple(kernels["supported"]) == SUPPORTED
    assert set(kernels["cpu_features"]) == set(_cpu_dispatch._FEATURES)
    assert cfg["version"] == skfuzzy_ce.__version__
    assert skfuzzy_ce.show_config() is None
    out = capsys.readouterr().out
    assert f"variant: {kernels['variant']}" in out and "built: " in out
    # The register-tile softmax block: in the AVX-512 variant only, and said so.
    assert kernels["softmax_tiles"] is (kernels["variant"] == "avx512")
    assert f"softmax register tiles (2-4 outputs, float64): " in out
    with pytest.raises(ValueError, match="mode"):
        skfuzzy_ce.show_config(mode="json")


def test_use_variant_restores_and_objects_keep_theirs():
    before = _cpu_dispatch.active()
    X = np.random.RandomState(0).randn(50, 4)
    Y = np.full((50, 3), 1 / 3)
    with _cpu_dispatch.use_variant("baseline") as kernels:
        assert _cpu_dispatch.active() is kernels and kernels.name == "baseline"
        obj = FusedLinearObjective(
            X, Y, np.ones(50), np.ones(3), n_outputs=3, fit_intercept=True
        )
    assert _cpu_dispatch.active() is before
    assert obj._kernels.name == "baseline"
    with pytest.raises(RuntimeError, match="not supported"):
        with _cpu_dispatch.use_variant("avx1024"):
            pass


# Bound between variants (docs/performance.rst: measured 6e-16 in float64, 1.3e-8 in
# float32, n = 2e4): the variants differ in FMA contraction and vector width, and for a
# softmax over 2 to 4 outputs of few features (float64) the AVX-512 variant's register
# tiles sum the products in another order (measured up to 4e-15). The loss and gradient of
# one evaluation agree to these relative tolerances (gradient: against its largest entry).
RTOL = {np.float64: 1e-14, np.float32: 1e-6}


def _problem(sparse, dtype, K=10, n=3000, d=40, seed=0):
    rng = np.random.RandomState(seed)
    if sparse:
        X = sp.random(n, d, density=0.1, random_state=rng, format="csr")
        X.data = rng.randn(X.nnz)
        X = X.astype(dtype)
    else:
        X = rng.randn(n, d).astype(dtype)
    Y = rng.dirichlet(np.ones(K), size=n).astype(dtype)
    return X, Y, rng.uniform(0, 2, n), rng.uniform(0.5, 2, K)


@pytest.mark.parametrize(
    "kind, K, d", [("softmax", 10, 40), ("softmax", 2, 40), ("sigmoids", 5, 40), ("softmax", 3, 20)]
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "csr"])
def test_variants_agree_to_rounding(kind, K, d, dtype, sparse):
    X, Y, sw, cw = _problem(sparse, dtype, K, d=d)
    n_out = 1 if (kind == "softmax" and K == 2) else K
    w = np.random.RandomState(1).randn(n_out * (X.shape[1] + 1))
    results = {}
    for variant in SUPPORTED:
        with _cpu_dispatch.use_variant(variant):
            obj = FusedLinearObjective(
                X, Y, sw, cw, n_outputs=n_out, fit_intercept=True, kind=kind, n_threads=2,
                block_rows=64,
            )
            results[variant] = obj.loss_gradient(w)
            H = obj.hessian(w)
            results[variant] += (H,)
            # Within a variant: bitwise the same for 1 thread.
            obj1 = FusedLinearObjective(
                X, Y, sw, cw, n_outputs=n_out, fit_intercept=True, kind=kind, n_threads=1,
                block_rows=64,
            )
            loss1, grad1 = obj1.loss_gradient(w)
            assert loss1 == results[variant][0]
            assert_array_equal(grad1, results[variant][1])
    loss0, grad0, H0 = results["baseline"]
    rtol = RTOL[dtype]
    for variant, (loss, grad, H) in results.items():
        assert_allclose(loss, loss0, rtol=rtol)
        assert_allclose(grad, grad0, rtol=0, atol=rtol * np.abs(grad0).max())
        assert_allclose(H, H0, rtol=0, atol=rtol * np.abs(H0).max())


def test_variants_inline_exp_agree():
    """The inline exps of the variants (FMA in the polynomial and the reduction) agree with
    the baseline's to 2 ulps (double) and 1 float ulp."""
    x = -np.concatenate([np.linspace(0, 745, 200_001), np.geomspace(1e-300, 1, 1000)])
    xf = x.astype(np.float32)
    ref = np.empty_like(x)
    reff = np.empty_like(xf)
    _cpu_dispatch.load_variant("baseline").fused._exp_nonpos(x, ref)
    _cpu_dispatch.load_variant("baseline").fused._expf_nonpos(xf, reff)
    for variant in SUPPORTED:
        out, outf = np.empty_like(x), np.empty_like(xf)
        fused = _cpu_dispatch.load_variant(variant).fused
        fused._exp_nonpos(x, out)
        fused._expf_nonpos(xf, outf)
        tiny = ref < 1e-300
        assert np.all(np.abs(out - ref)[~tiny] <= 2 * np.spacing(ref[~tiny]))
        assert np.all(np.abs(outf - reff) <= np.spacing(reff) + 1e-38)
