"""Drop-in replacements for Keras layers that compute the same function faster on CPU.

Each keeps the Keras layer's weights, arguments and config, so a network built with them saves,
loads and restores checkpoints exactly as one built with the Keras classes; only the kernels
TensorFlow runs differ, and with them the last bits of rounding.

- `Conv2D`: when the convolution has a single output position (the kernel covers the whole,
  possibly padded, input: the last layer of pythae's and many DCGAN-style encoders and
  discriminators, e.g. 3x3 -> 1x1 with a 4x4 kernel), it is one matrix product of the
  flattened input patch with the flattened kernel. oneDNN's convolution and its two gradients
  take 6-15x longer than that product for this shape (measured by benchmarks/vs_pytorch.py
  --profile and docs/performance.md: 460 -> 77 ms for pythae's 3x3x512 -> 1x1x1024 layer,
  forward and backward, batch 128, fp32; 397 -> 26 ms in bfloat16).

Tried and not used: TensorFlow's fused batch norm (`FusedBatchNormV3`) instead of Keras 3's
composed moments is 1.4-3x faster per layer, but under oneDNN (TensorFlow's default on x86) its
gradients inside a network (pythae's encoder, four batch norms) differed from PyTorch's and from
Keras' by 1e-1 of the largest gradient, while each layer alone matched float64 to 1e-7; with
TF_ENABLE_ONEDNN_OPTS=0 the network matched too. A wrong gradient is not worth the speed.
"""

import keras
from keras import ops

_PACKAGE = "tfhybrids"


@keras.saving.register_keras_serializable(package=_PACKAGE)
class Conv2D(keras.layers.Conv2D):
    """`keras.layers.Conv2D` that computes a single-position output as one matrix product."""

    def build(self, input_shape):
        super().build(input_shape)
        self._single_patch = self._single_output_patch(input_shape)

    def _single_output_patch(self, input_shape):
        """The padding (top, bottom, left, right) that turns the input into exactly the one
        kernel-sized patch the convolution reads, or None if the output has more than one
        position (or the shape is not static, or the convolution is dilated or grouped)."""
        if (self.data_format != "channels_last" or self.groups != 1
                or any(rate != 1 for rate in self.dilation_rate)):
            return None
        pads = []
        for size, kernel, stride in zip(input_shape[1:3], self.kernel_size, self.strides):
            if size is None:
                return None
            if self.padding == "valid":
                if size < kernel or (size - kernel) // stride + 1 != 1:
                    return None
                before = 0
            else:  # "same": one output position iff size <= stride
                if -(-size // stride) != 1:
                    return None
                before = max(kernel - size, 0) // 2
            # rows before/after the input that the kernel window covers
            pads.append((before, max(kernel - size - before, 0)))
        return tuple(pads)

    def convolution_op(self, inputs, kernel):
        patch = getattr(self, "_single_patch", None)
        if patch is None:
            return super().convolution_op(inputs, kernel)
        (top, bottom), (left, right) = patch
        kernel_h, kernel_w = self.kernel_size
        if top or bottom or left or right:
            inputs = ops.pad(inputs, [[0, 0], [top, bottom], [left, right], [0, 0]])
        window = inputs[:, :kernel_h, :kernel_w, :]
        flat = ops.reshape(window, (-1, kernel_h * kernel_w * window.shape[-1]))
        outputs = ops.matmul(flat, ops.reshape(kernel, (-1, self.filters)))
        return ops.reshape(outputs, (-1, 1, 1, self.filters))


# At most this many input positions (e.g. 4x4, the first transposed convolution of pythae's and
# DCGAN's generators), oneDNN's transposed convolution was slower than the matrix-product form
# below (benchmark on 4x4x1024 -> 9x9x512, batch 128: forward and backward 375 -> 272 ms fp32,
# 242 -> 118 ms bf16); at 7x7 inputs it was as fast or faster, and at few channels much faster.
_SMALL_INPUT_POSITIONS = 16
_MIN_GEMM_CHANNELS = 256


@keras.saving.register_keras_serializable(package=_PACKAGE)
class Conv2DTranspose(keras.layers.Conv2DTranspose):
    """`keras.layers.Conv2DTranspose` that computes a small input's transposed convolution as
    one matrix product: every input position times the kernel, all k x k taps at once, then
    each tap added at its place in the output (grouped by the stride's phases, interleaved with
    depth_to_space). Same weights and function as Keras' layer; its gradients are two matrix
    products, where oneDNN's backward pass of this shape runs far below the CPU's GEMM rate."""

    def build(self, input_shape):
        super().build(input_shape)
        self._gemm_crop = self._gemm_geometry(input_shape)

    def _gemm_geometry(self, input_shape):
        """Where the output starts in the full transposed convolution, per axis, if the matrix
        form applies; otherwise None."""
        if (self.data_format != "channels_last" or self.output_padding is not None
                or any(rate != 1 for rate in self.dilation_rate)):
            return None
        height, width, channels = input_shape[1:4]
        if None in (height, width, channels) or height * width > _SMALL_INPUT_POSITIONS:
            return None
        if channels < _MIN_GEMM_CHANNELS:
            return None
        starts = []
        for kernel, stride in zip(self.kernel_size, self.strides):
            if kernel < stride:
                return None
            starts.append(0 if self.padding == "valid" else (kernel - stride) // 2)
        return tuple(starts)

    def _transposed_convolution(self, inputs, kernel):
        height, width, channels = inputs.shape[1:4]
        kernel_h, kernel_w = self.kernel_size
        stride_h, stride_w = self.strides
        if stride_h != stride_w:
            raise ValueError("unreachable: the matrix form is built for equal strides")
        stride = stride_h
        # [in, kh * kw * out]: every tap's [in, out] matrix side by side
        matrix = ops.reshape(ops.transpose(kernel, (3, 0, 1, 2)),
                             (channels, kernel_h * kernel_w * self.filters))
        products = ops.matmul(ops.reshape(inputs, (-1, channels)), matrix)
        products = ops.reshape(products, (-1, height, width, kernel_h * kernel_w * self.filters))
        # The taps are summed in float32, as the convolution kernels accumulate, so that a
        # bfloat16 output is rounded once more than Keras' at most, not once per tap.
        products = ops.cast(products, "float32")
        taps = ops.split(products, kernel_h * kernel_w, axis=-1)
        extra_h, extra_w = (kernel_h - 1) // stride, (kernel_w - 1) // stride
        phases = []
        for row_phase in range(stride):
            for col_phase in range(stride):
                total = None
                for u in range(row_phase, kernel_h, stride):
                    for v in range(col_phase, kernel_w, stride):
                        shift_h, shift_w = u // stride, v // stride
                        tap = ops.pad(taps[u * kernel_w + v],
                                      [[0, 0], [shift_h, extra_h - shift_h],
                                       [shift_w, extra_w - shift_w], [0, 0]])
                        total = tap if total is None else total + tap
                phases.append(total)
        import tensorflow as tf

        full = (phases[0] if stride == 1 else
                tf.nn.depth_to_space(ops.concatenate(phases, axis=-1), stride))
        out_h, out_w = self.compute_output_shape(inputs.shape)[1:3]
        start_h, start_w = self._gemm_crop
        return ops.cast(full[:, start_h:start_h + out_h, start_w:start_w + out_w, :],
                        inputs.dtype)

    def call(self, inputs):
        geometry = getattr(self, "_gemm_crop", None)
        if (geometry is None or keras.backend.backend() != "tensorflow"
                or self.strides[0] != self.strides[1]):
            return super().call(inputs)
        outputs = self._transposed_convolution(inputs, self.kernel)
        if self.use_bias:
            outputs = ops.add(outputs, ops.reshape(self.bias, (1, 1, 1, self.filters)))
        if self.activation is not None:
            return self.activation(outputs)
        return outputs
