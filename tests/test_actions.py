import numpy as np
import pytest

from cldm.physics.actions import Gaussian, Polynomial, Quartic, make_action

Z = np.array([0.3 + 0.2j, -1.1 + 0.7j, 2.0 - 0.4j])


@pytest.mark.parametrize("action", [Gaussian(1 + 1j), Quartic(1 + 1j, 1.0), Quartic(0.5 - 2j, 0.3)])
def test_drift_is_minus_derivative_of_action(action):
    h = 1e-6
    numeric = -(action.action(Z + h) - action.action(Z - h)) / (2 * h)
    np.testing.assert_allclose(action.drift(Z.copy()), numeric, rtol=1e-7)
    np.testing.assert_allclose(action.drift(Z.copy()), Polynomial(action.coeffs).drift(Z), rtol=1e-12)


def test_quartic_drift_leaves_input_untouched():
    z = Z.copy()
    Quartic(1 + 1j, 1.0).drift(z)
    np.testing.assert_array_equal(z, Z)


def test_make_action_checks_the_model():
    assert make_action("quartic", 1, 1, 1.0) == Quartic(1 + 1j, 1.0)
    with pytest.raises(ValueError, match="unknown model 'cubic'"):
        make_action("cubic", 1, 1)
    with pytest.raises(ValueError, match="lam"):
        make_action("quartic", 1, 1)
