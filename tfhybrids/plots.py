"""Pictures of a model: image grids and 2-D scatter plots, as uint8 arrays and PNG files.

Kept free of TensorFlow so that callbacks, `explore` and benchmark scripts share them.
"""

import io

import numpy as np


def to_uint8(images):
    """Maps images in [-1, 1] to uint8 [0, 255]."""
    images = np.asarray(images, dtype=np.float32)
    return np.clip(np.round((images + 1.0) * 127.5), 0, 255).astype(np.uint8)


def image_grid(images, columns=None, padding=1):
    """Tiles images [n, h, w, c] in [-1, 1] into one uint8 image [H, W, c].

    Args:
        images: array [n, h, w, c] in [-1, 1].
        columns: int or None. Images per row. Defaults to ceil(sqrt(n)).
        padding: int. Pixels of white between images. Defaults to 1.
    """
    images = to_uint8(images)
    if images.ndim != 4:
        raise ValueError(f"image_grid expects images [n, h, w, c], got shape {images.shape}.")
    n, h, w, c = images.shape
    columns = columns or int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / columns))
    grid = np.full((rows * (h + padding) + padding, columns * (w + padding) + padding, c), 255,
                   dtype=np.uint8)
    for i in range(n):
        r, col = divmod(i, columns)
        top, left = padding + r * (h + padding), padding + col * (w + padding)
        grid[top:top + h, left:left + w] = images[i]
    return grid


def upscale(image, factor):
    """Nearest-neighbour upscaling of a [H, W, C] uint8 image, so small digits stay visible."""
    if factor <= 1:
        return image
    return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)


def _figure_to_array(figure):
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80)
    plt.close(figure)
    buffer.seek(0)
    return png_to_array(buffer.getvalue())


def png_to_array(png_bytes):
    """Decodes PNG bytes to a uint8 [H, W, C] array (RGB or RGBA)."""
    import matplotlib.image as mpimg

    array = mpimg.imread(io.BytesIO(png_bytes), format="png")
    if array.dtype != np.uint8:
        array = np.clip(np.round(array * 255.0), 0, 255).astype(np.uint8)
    return array[..., :3]


def scatter(points, labels=None, title=None, reference=None, limits=None, class_names=None):
    """A 2-D scatter plot of `points` coloured by `labels`, as a uint8 RGB array.

    Args:
        points: array [n, 2].
        labels: int array [n] or None.
        title: str or None.
        reference: array [m, 2] or None. Points drawn underneath in grey (e.g. data or
            prior samples).
        limits: (low, high) or None. Same limits for both axes.
        class_names: list of str or None. Legend entries for the labels.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = np.asarray(points)
    if points.ndim != 2 or points.shape[1] < 2:
        raise ValueError(f"scatter expects points [n, 2], got shape {points.shape}.")
    figure, axis = plt.subplots(figsize=(5, 5))
    if reference is not None:
        reference = np.asarray(reference)
        axis.scatter(reference[:, 0], reference[:, 1], s=2, c="0.8", label="reference")
    if labels is None:
        axis.scatter(points[:, 0], points[:, 1], s=3, c="tab:blue")
    else:
        labels = np.asarray(labels)
        cmap = plt.get_cmap("tab10" if labels.max(initial=0) < 10 else "tab20")
        for value in np.unique(labels):
            mask = labels == value
            name = class_names[value] if class_names is not None and value < len(class_names) else str(value)
            axis.scatter(points[mask, 0], points[mask, 1], s=3, color=cmap(int(value) % cmap.N),
                         label=name)
        if len(np.unique(labels)) <= 20:
            axis.legend(markerscale=4, fontsize=7, loc="upper right")
    if limits is not None:
        axis.set_xlim(*limits)
        axis.set_ylim(*limits)
    axis.set_aspect("equal", adjustable="datalim")
    if title:
        axis.set_title(title)
    figure.tight_layout()
    return _figure_to_array(figure)


def write_png(path, image):
    """Writes a uint8 [H, W, C] array to `path` as PNG (atomically)."""
    import os

    import matplotlib.image as mpimg

    image = np.asarray(image)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    tmp = f"{path}.tmp-{os.getpid()}.png"
    mpimg.imsave(tmp, image, cmap="gray" if image.ndim == 2 else None, vmin=0, vmax=255)
    os.replace(tmp, path)
