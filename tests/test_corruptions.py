"""The corruption suite: what each primitive does to an image, that every corruption gives a
valid image of the input's shape and hurts more at a higher severity, and how sets are named."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from bench.errors import BenchError
from bench.measurements.robustness.corruptions import (
    CORRUPTIONS,
    DEFAULT,
    SEVERITIES,
    brightness,
    contrast,
    corrupt,
    dotted_line,
    gaussian_blur,
    impulse_noise,
    motion_blur,
    names,
    rotate,
    scale,
    shear,
    stripe,
    translate,
    zigzag,
)

KINDS = ("geometry", "noise", "blur", "occlusion", "intensity")


def blob(top: int = 10, left: int = 8, size: int = 6, shape=(28, 28)) -> np.ndarray:
    """One black image (1, H, W, 1) with a white ``size`` x ``size`` square."""
    image = np.zeros((1, *shape, 1), np.float32)
    image[0, top : top + size, left : left + size] = 1.0
    return image


def spot(x: float, y: float, sigma: float = 2.0, shape=(28, 28)) -> np.ndarray:
    """One image (1, H, W, 1) of a smooth Gaussian spot centred on (x, y)."""
    ys, xs = np.indices(shape)
    image = np.exp(-((xs - x) ** 2 + (ys - y) ** 2) / (2 * sigma**2))
    return image[None, ..., None].astype(np.float32)


def digits(n: int = 8) -> np.ndarray:
    """``n`` digit-like images (n, 28, 28, 1): a loop and a stem, like a 9, placed a little
    differently in each, softly edged."""
    ys, xs = np.indices((28, 28))
    shifts = np.random.default_rng(0).integers(-2, 3, size=(n, 2))
    images = []
    for dx, dy in shifts:
        cx, cy = 13 + dx, 11 + dy
        loop = np.abs(np.hypot(xs - cx, ys - cy) - 4.5) < 1.3
        stem = (np.abs(xs - cx - 4.5) < 1.3) & (ys >= cy) & (ys <= cy + 11)
        images.append(ndimage.gaussian_filter((loop | stem).astype(np.float32), 0.5))
    return np.clip(np.stack(images)[..., None] * 1.2, 0, 1).astype(np.float32)


def randoms(shape=(4, 28, 28, 1), seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).random(shape, dtype=np.float32)


def centre_of_mass(image: np.ndarray) -> np.ndarray:
    """(x, y) of one image (1, H, W, 1), weighted by its values."""
    weights = image[0, ..., 0]
    ys, xs = np.indices(weights.shape)
    return np.array([(xs * weights).sum(), (ys * weights).sum()]) / weights.sum()


def spread(image: np.ndarray) -> float:
    """Root mean squared distance from the image centre, weighted by the values."""
    weights = image[0, ..., 0]
    h, w = weights.shape
    ys, xs = np.indices(weights.shape)
    squared = (xs - (w - 1) / 2) ** 2 + (ys - (h - 1) / 2) ** 2
    return float(np.sqrt((squared * weights).sum() / weights.sum()))


def change(before: np.ndarray, after: np.ndarray) -> float:
    return float(np.abs(after - before).mean())


# Geometry


@pytest.mark.parametrize(
    "transform",
    [
        lambda x: rotate(x, 0),
        lambda x: shear(x, 0.0),
        lambda x: scale(x, 1.0),
        lambda x: translate(x, 0, 0),
    ],
    ids=["rotate 0", "shear 0", "scale 1", "translate 0,0"],
)
def test_a_zero_geometric_change_is_the_identity(transform):
    images = randoms()

    np.testing.assert_allclose(transform(images), images, atol=1e-6)


def test_rotate_by_90_degrees_is_np_rot90_counter_clockwise_as_displayed():
    images = randoms()

    np.testing.assert_allclose(rotate(images, 90), np.rot90(images, axes=(1, 2)), atol=1e-5)


def test_rotate_four_times_by_90_degrees_returns_the_image():
    images = randoms()

    turned = images
    for _ in range(4):
        turned = rotate(turned, 90)

    np.testing.assert_allclose(turned, images, atol=1e-5)


def test_rotate_takes_one_angle_per_image():
    images = randoms(shape=(2, 28, 28, 1))

    turned = rotate(images, np.array([0.0, 90.0]))

    np.testing.assert_allclose(turned[0], images[0], atol=1e-6)
    np.testing.assert_allclose(turned[1], np.rot90(images[1]), atol=1e-5)


def test_translate_moves_the_centre_of_mass_by_exactly_dx_right_and_dy_down():
    image = blob()

    moved = translate(image, dx=3, dy=-2)

    np.testing.assert_allclose(centre_of_mass(moved) - centre_of_mass(image), [3, -2], atol=1e-6)
    assert moved.sum() == image.sum()


def test_translate_fills_with_zeros_and_does_not_wrap_around():
    image = blob(left=22)  # columns 22 to 27, at the right border

    moved = translate(image, dx=4, dy=0)

    assert moved.sum() == image.sum() * 2 / 6  # four of the six columns left the image
    assert not moved[0, :, :22].any()


def test_translate_takes_one_shift_per_image():
    images = np.concatenate([blob(), blob()])

    moved = translate(images, dx=np.array([1, 0]), dy=np.array([0, 2]))

    np.testing.assert_allclose(centre_of_mass(moved[:1]) - centre_of_mass(images[:1]), [1, 0])
    np.testing.assert_allclose(centre_of_mass(moved[1:]) - centre_of_mass(images[1:]), [0, 2])


def test_scale_by_half_halves_the_spread_about_the_image_centre():
    image = spot(x=20, y=9)

    shrunk = scale(image, 0.5)

    assert spread(shrunk) == pytest.approx(spread(image) / 2, rel=0.03)


def test_shear_moves_a_row_k_pixels_below_the_centre_amount_times_k_right():
    image = blob(top=18, left=10)  # rows 18 to 23: on average 7 below the centre, 13.5

    sheared = shear(image, 0.4)

    np.testing.assert_allclose(
        centre_of_mass(sheared) - centre_of_mass(image), [0.4 * 7, 0], atol=1e-4
    )


# Noise


def test_noise_is_reproducible_from_the_seed_and_differs_with_another():
    images = digits()

    first = corrupt(images, "gaussian_noise", 2, seed=0)
    again = corrupt(images, "gaussian_noise", 2, seed=0)
    other = corrupt(images, "gaussian_noise", 2, seed=1)

    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_impulse_noise_sets_about_the_fraction_of_pixels_to_black_or_white():
    images = np.full((20, 28, 28, 1), 0.5, np.float32)

    noisy = impulse_noise(images, 0.07, np.random.default_rng(0))

    hit = noisy != 0.5
    assert hit.mean() == pytest.approx(0.07, abs=0.01)
    assert set(np.unique(noisy[hit])) == {0.0, 1.0}
    assert (noisy[hit] == 1).mean() == pytest.approx(0.5, abs=0.1)  # as much salt as pepper


# Blur


def test_gaussian_blur_keeps_the_mean_of_an_image_away_from_the_border():
    image = blob(top=11, left=11)

    blurred = gaussian_blur(image, 1.5)

    assert blurred.mean() == pytest.approx(image.mean(), rel=1e-5)
    assert blurred.max() < 1  # and spreads it


def test_motion_blur_spreads_a_point_along_its_row_only():
    image = np.zeros((1, 28, 28, 1), np.float32)
    image[0, 14, 14] = 1.0

    blurred = motion_blur(image, 5)

    np.testing.assert_allclose(blurred[0, 14, 12:17, 0], np.full(5, 0.2), atol=1e-6)
    assert blurred.sum() == pytest.approx(1.0)


# Occlusion


def test_stripe_is_one_white_bar_of_the_width_across_the_image():
    images = np.zeros((10, 28, 28, 1), np.float32)

    striped = stripe(images, 3, np.random.default_rng(0))

    white = striped[..., 0] == 1
    full_rows, full_columns = white.all(axis=2).sum(axis=1), white.all(axis=1).sum(axis=1)
    assert ((full_rows == 3) ^ (full_columns == 3)).all()
    assert (white.sum(axis=(1, 2)) == 3 * 28).all()  # and nothing else


def test_dotted_line_draws_separate_white_dots():
    images = np.zeros((20, 28, 28, 1), np.float32)

    dotted = dotted_line(images, 1, np.random.default_rng(0))

    lit = (dotted[..., 0] > 0).sum(axis=(1, 2))
    assert set(np.unique(dotted)) <= {0.0, 1.0}
    assert (lit >= 3).all() and (lit <= 14).all()  # 17 to 25 pixels long, a dot every 2 to 3


def test_zigzag_draws_unbroken_white_strokes():
    images = np.zeros((20, 28, 28, 1), np.float32)

    drawn = zigzag(images, 1, np.random.default_rng(0))[..., 0]

    lit = drawn == 1
    neighbours = ndimage.convolve(lit.astype(int), np.ones((1, 3, 3), int), mode="constant")
    assert (lit.sum(axis=(1, 2)) >= 15).all()
    assert (neighbours[lit] >= 2).all()  # every lit pixel touches another


# Intensity


def test_brightness_adds_the_amount_and_clips():
    images = randoms()

    np.testing.assert_allclose(brightness(images, 0.3), np.minimum(images + 0.3, 1), atol=1e-6)


def test_contrast_of_one_is_the_identity():
    images = digits()

    np.testing.assert_allclose(contrast(images, 1.0), images, atol=1e-6)


def test_contrast_of_zero_makes_each_image_flat_at_its_mean():
    images = digits()

    flat = contrast(images, 0.0)

    means = images.mean(axis=(1, 2, 3), keepdims=True)
    np.testing.assert_allclose(flat, np.broadcast_to(means, images.shape), atol=1e-6)


# Every corruption


@pytest.mark.parametrize("severity", SEVERITIES)
@pytest.mark.parametrize("name", CORRUPTIONS)
def test_every_corruption_gives_valid_images_and_leaves_its_input_alone(name, severity):
    images = digits()
    before = images.copy()

    corrupted = corrupt(images, name, severity)

    assert corrupted.shape == images.shape
    assert corrupted.dtype == np.float32
    assert corrupted.min() >= 0 and corrupted.max() <= 1
    np.testing.assert_array_equal(images, before)


@pytest.mark.parametrize("name", CORRUPTIONS)
def test_every_corruption_changes_every_image_at_severity_1(name):
    images = digits()

    corrupted = corrupt(images, name, 1)

    assert (np.abs(corrupted - images).max(axis=(1, 2, 3)) > 0.01).all()


@pytest.mark.parametrize("name", CORRUPTIONS)
def test_every_corruption_moves_the_images_further_at_each_higher_severity(name):
    images = digits(64)  # enough that the random directions of shifts and shears even out

    changes = [change(images, corrupt(images, name, severity)) for severity in SEVERITIES]

    assert changes[0] < changes[1] < changes[2]


def test_every_corruption_works_on_non_square_colour_images():
    images = randoms(shape=(5, 16, 20, 3))

    for name in CORRUPTIONS:
        for severity in SEVERITIES:
            corrupted = corrupt(images, name, severity)
            assert corrupted.shape == images.shape and corrupted.dtype == np.float32
            assert corrupted.min() >= 0 and corrupted.max() <= 1
            assert not np.array_equal(corrupted, images), (name, severity)


def test_every_corruption_has_a_kind_three_levels_and_a_unit():
    for name, corruption in CORRUPTIONS.items():
        assert corruption.name == name
        assert corruption.kind in KINDS
        assert len(corruption.levels) == len(SEVERITIES)
        assert corruption.unit


def test_corruptions_are_listed_grouped_by_kind():
    kinds = [c.kind for c in CORRUPTIONS.values()]

    assert len(CORRUPTIONS) == 13
    assert [k for i, k in enumerate(kinds) if i == 0 or k != kinds[i - 1]] == list(KINDS)


# Sets and errors


def test_the_default_set_is_ten_corruptions_of_all_five_kinds():
    chosen = names("default")

    assert chosen == DEFAULT
    assert len(chosen) == 10
    assert set(chosen) <= set(CORRUPTIONS)
    assert {CORRUPTIONS[name].kind for name in chosen} == set(KINDS)


def test_the_all_and_none_sets():
    assert names("all") == tuple(CORRUPTIONS)
    assert names("none") == ()


def test_an_unknown_set_is_a_one_line_error_listing_the_choices():
    with pytest.raises(BenchError, match="default, all, none") as error:
        names("bogus")

    assert "\n" not in str(error.value)


@pytest.mark.parametrize(
    "name, severity, message",
    [("bogus", 1, "unknown corruption 'bogus'"), ("rotate", 4, "severity 4"), ("rotate", 0, "0")],
)
def test_an_unknown_corruption_or_severity_is_a_one_line_error(name, severity, message):
    with pytest.raises(BenchError, match=message) as error:
        corrupt(digits(1), name, severity)

    assert "\n" not in str(error.value)
