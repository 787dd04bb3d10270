"""grad_out: the gradient written into the caller's buffer, identical to a fresh one."""

from __future__ import annotations

import numpy as np
import pytest

import fastloss

from ._cases import CASES


@pytest.mark.parametrize("case", CASES)
def test_grad_out_receives_the_same_gradient(case, dtype, rng):
    name, args, kwargs = CASES[case](rng, dtype)
    fn = getattr(fastloss, name + "_value_and_grad")
    value, grad = fn(*args, **kwargs)
    buffer = np.full_like(grad, np.nan)
    value_out, grad_out = fn(*args, grad_out=buffer, **kwargs)
    assert grad_out is buffer
    np.testing.assert_array_equal(buffer, grad)
    np.testing.assert_array_equal(value_out, value)
    # and the reference takes it the same way
    ref_fn = getattr(fastloss.reference, name + "_value_and_grad")
    ref_buffer = np.empty(grad.shape)
    assert ref_fn(*args, grad_out=ref_buffer, **kwargs)[1] is ref_buffer


def test_grad_out_with_spatial_class_layout(rng):
    logits = rng.normal(size=(2, 4, 3, 5))
    labels = rng.integers(0, 4, size=(2, 3, 5))
    _, grad = fastloss.cross_entropy_value_and_grad(logits, labels)
    buffer = np.empty_like(logits)
    _, got = fastloss.cross_entropy_value_and_grad(logits, labels, grad_out=buffer)
    assert got is buffer
    np.testing.assert_array_equal(buffer, grad)


class TestErrors:
    def test_dtype(self):
        with pytest.raises(TypeError, match="grad_out: expected dtype float32"):
            fastloss.mse_value_and_grad(np.ones(3, np.float32), np.zeros(3, np.float32),
                                        grad_out=np.empty(3))

    def test_shape(self):
        with pytest.raises(ValueError, match=r"grad_out: expected shape \(2, 3\)"):
            fastloss.cross_entropy_value_and_grad(np.ones((2, 3)), [0, 1], grad_out=np.empty((3, 2)))

    def test_layout(self):
        with pytest.raises(ValueError, match="grad_out: expected a writeable C-contiguous array"):
            fastloss.mse_value_and_grad(np.ones((3, 3)), np.zeros((3, 3)),
                                        grad_out=np.empty((3, 3), order="F"))
        readonly = np.empty(3)
        readonly.flags.writeable = False
        with pytest.raises(ValueError, match="grad_out: expected a writeable C-contiguous array"):
            fastloss.mse_value_and_grad(np.ones(3), np.zeros(3), grad_out=readonly)

    def test_overlapping_an_input(self):
        logits = np.ones((4, 3))
        with pytest.raises(ValueError, match="grad_out: must not share memory with an input"):
            fastloss.cross_entropy_value_and_grad(logits, [0, 1, 2, 0], grad_out=logits)

    def test_not_an_array(self):
        with pytest.raises(TypeError, match="grad_out: expected a NumPy array"):
            fastloss.mse_value_and_grad(np.ones(3), np.zeros(3), grad_out=[0.0, 0.0, 0.0])

    @pytest.mark.parametrize(("name", "inputs"), [
        ("triplet_margin_loss", 3), ("margin_ranking_loss", 2), ("contrastive_loss", 2),
        ("chamfer_distance", 2)])
    def test_buffers_overlapping_each_other(self, name, inputs):
        # (buf, buf, buf) was accepted: the gradients overwrote each other
        rng = np.random.default_rng(0)
        x = rng.normal(size=(4, 3))
        args = {"triplet_margin_loss": (x, x + 1, x - 1),
                "margin_ranking_loss": (x[:, 0], x[:, 1], np.ones(4)),
                "contrastive_loss": (x, x + 1, np.array([0, 1, 0, 1])),
                "chamfer_distance": (x, x + 1)}[name]
        fn = getattr(fastloss, name + "_value_and_grad")
        shape = args[0].shape
        shared = np.empty(shape)
        with pytest.raises(ValueError, match="grad_out: buffers 0 and 1 share memory"):
            fn(*args, grad_out=(shared,) * inputs)
        halves = np.empty((2, *shape))
        views = (halves[0], halves[1], *(np.empty(shape) for _ in range(inputs - 2)))
        assert fn(*args, grad_out=views)[1][1] is views[1]  # distinct views of one array are fine
