"""A real consumer of the namespace: scikit-learn's PCA and LinearDiscriminantAnalysis with
``array_api_dispatch=True`` fit on kiln arrays give NumPy's answers (components, explained
variance, transforms, predictions). ``SCIPY_ARRAY_API=1`` is set by conftest.py before SciPy is
imported."""

import numpy as np
import pytest

import kiln

sklearn = pytest.importorskip("sklearn")
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis  # noqa: E402


def _data(seed, n=60, d=5, dtype=np.float64):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)) @ rng.normal(size=(d, d)) + rng.normal(size=d)
    return x.astype(dtype)


def _close(got, want, rtol):
    np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=rtol, atol=rtol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("solver", ["full", "covariance_eigh"])
@pytest.mark.parametrize("whiten", [False, True])
def test_pca_matches_numpy(dtype, solver, whiten):
    x = _data(0, dtype=dtype)
    rtol = 1e-4 if dtype == np.float32 else 1e-9
    reference = PCA(n_components=3, svd_solver=solver, whiten=whiten).fit(x)
    with sklearn.config_context(array_api_dispatch=True):
        pca = PCA(n_components=3, svd_solver=solver, whiten=whiten).fit(kiln.asarray(x))
        assert isinstance(pca.components_, kiln.Array)
        transformed = pca.transform(kiln.asarray(x))
        back = pca.inverse_transform(transformed)
    _close(pca.components_, reference.components_, rtol)
    _close(pca.explained_variance_, reference.explained_variance_, rtol)
    _close(pca.explained_variance_ratio_, reference.explained_variance_ratio_, rtol)
    _close(pca.singular_values_, reference.singular_values_, rtol)
    _close(pca.mean_, reference.mean_, rtol)
    _close(transformed, reference.transform(x), rtol * 10)
    _close(back, reference.inverse_transform(reference.transform(x)), rtol * 10)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_linear_discriminant_analysis_matches_numpy(dtype):
    # Three classes, each shifted along its own direction (separable, but not perfectly).
    y = np.repeat(np.arange(3), 30)
    x = _data(1, n=90, d=4, dtype=dtype) + (y[:, None] * np.array([1.0, -2.0, 0.5, 0.0])).astype(dtype)
    rtol = 1e-3 if dtype == np.float32 else 1e-8
    reference = LinearDiscriminantAnalysis(solver="svd").fit(x, y)
    with sklearn.config_context(array_api_dispatch=True):
        lda = LinearDiscriminantAnalysis(solver="svd").fit(kiln.asarray(x), kiln.asarray(y))
        predicted = lda.predict(kiln.asarray(x))
        transformed = lda.transform(kiln.asarray(x))
        proba = lda.predict_proba(kiln.asarray(x))
    assert np.array_equal(np.asarray(predicted), reference.predict(x))
    _close(lda.coef_, reference.coef_, rtol)
    _close(lda.intercept_, reference.intercept_, rtol)
    _close(lda.explained_variance_ratio_, reference.explained_variance_ratio_, rtol)
    # The discriminant directions are unique up to sign.
    got, want = np.asarray(transformed), reference.transform(x)
    signs = np.sign(np.sum(got * want, axis=0))
    _close(got * signs, want, rtol * 10)
    _close(proba, reference.predict_proba(x), rtol * 10)
