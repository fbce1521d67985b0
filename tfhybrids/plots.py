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


def annotate(image, title, row_labels=None, column_labels=None):
    """A picture of an image grid with a title and labelled rows or columns, uint8 RGB.

    Args:
        image: uint8 [H, W, C] grid (see `image_grid`, `upscale`).
        title: str. Says what the picture shows; wrapped to the picture's width.
        row_labels: list of str or None. One label per grid row (rows of equal height),
            drawn at the left.
        column_labels: list of str or None. One label per grid column, drawn on top.
    """
    import textwrap

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    image = np.asarray(image)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    height, width = image.shape[:2]
    dpi = 100
    lines = textwrap.wrap(title, width=max(30, int(width / 6.5))) or [""]
    left = 1.4 if row_labels else 0.15
    top = 0.2 + 0.17 * len(lines) + (0.25 if column_labels else 0.0)
    figure_width, figure_height = width / dpi + left + 0.15, height / dpi + top + 0.15
    figure = plt.figure(figsize=(figure_width, figure_height), dpi=dpi)
    axis = figure.add_axes([left / figure_width, 0.15 / figure_height,
                            width / dpi / figure_width, height / dpi / figure_height])
    axis.imshow(image, cmap="gray" if image.ndim == 2 else None, vmin=0, vmax=255,
                interpolation="nearest")
    axis.set_xticks([])
    axis.set_yticks([])
    for side in axis.spines.values():
        side.set_visible(False)
    if row_labels:
        step = height / len(row_labels)
        axis.set_yticks([step * (i + 0.5) for i in range(len(row_labels))])
        axis.set_yticklabels(row_labels, fontsize=8)
        axis.tick_params(axis="y", length=0)
    if column_labels:
        step = width / len(column_labels)
        axis.xaxis.tick_top()
        axis.set_xticks([step * (i + 0.5) for i in range(len(column_labels))])
        axis.set_xticklabels(column_labels, fontsize=8)
        axis.tick_params(axis="x", length=0)
    figure.text(0.5, 1.0 - 0.1 / figure_height, "\n".join(lines), ha="center", va="top",
                fontsize=9)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    plt.close(figure)
    return png_to_array(buffer.getvalue())


def scatter(points, labels=None, title=None, reference=None, limits=None, class_names=None,
            reference_label="reference", axis_labels=None):
    """A 2-D scatter plot of `points` coloured by `labels`, as a uint8 RGB array.

    Args:
        points: array [n, 2].
        labels: int array [n] or None.
        title: str or None.
        reference: array [m, 2] or None. Points drawn underneath in grey (e.g. data or
            prior samples).
        limits: (low, high) or None. Same limits for both axes.
        class_names: list of str or None. Legend entries for the labels.
        reference_label: str. Legend entry of the grey points. Defaults to "reference".
        axis_labels: (str, str) or None. Labels of the x and y axes.
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
        axis.scatter(reference[:, 0], reference[:, 1], s=2, c="0.8", label=reference_label)
    if labels is None:
        axis.scatter(points[:, 0], points[:, 1], s=3, c="tab:blue")
    else:
        labels = np.asarray(labels)
        cmap = plt.get_cmap("tab10" if labels.max(initial=0) < 10 else "tab20")
        colours = [cmap(i) for i in range(cmap.N)]
        if cmap.N == 10:
            colours[7] = "black"  # tab10's grey would read as one of the grey reference points
        for value in np.unique(labels):
            mask = labels == value
            name = class_names[value] if class_names is not None and value < len(class_names) else str(value)
            axis.scatter(points[mask, 0], points[mask, 1], s=3,
                         color=colours[int(value) % len(colours)], label=name)
    if (labels is not None and len(np.unique(labels)) <= 20) or reference is not None:
        axis.legend(markerscale=4, fontsize=7, loc="upper right")
    if limits is not None:
        axis.set_xlim(*limits)
        axis.set_ylim(*limits)
    axis.set_aspect("equal", adjustable="datalim")
    if title:
        axis.set_title(title, fontsize=9)
    if axis_labels:
        axis.set_xlabel(axis_labels[0])
        axis.set_ylabel(axis_labels[1])
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
