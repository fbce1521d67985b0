"""The precision losses are computed in.

Under a mixed-precision policy the networks compute in float16 or bfloat16, and tensors other
than a network's final output (a discriminator's hidden features, an encoder head split off a
layer) reach the losses in that half precision. Sums over hundreds of pixels and the
exponentials of log-variances lose too much there (bfloat16 keeps 8 bits of mantissa), so
every loss first brings its inputs to float32, the usual mixed-precision practice; float64
inputs stay float64.
"""

import tensorflow as tf


def loss_precision(*values):
    """Returns the float arguments as tensors of one dtype: float64 if any is float64, else
    float32 (half-precision inputs are cast up)."""
    tensors = [tf.convert_to_tensor(value) for value in values]
    dtype = tf.float64 if any(t.dtype == tf.float64 for t in tensors) else tf.float32
    return [tf.cast(t, dtype) for t in tensors]
