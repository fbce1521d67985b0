"""Floating-point operations of the networks and train steps, counting only the work that runs.

Two counts, both of multiply-adds as 2 FLOPs and of the contractions alone (convolutions,
transposed convolutions, matrix products: what a GEMM rate compares with; biases,
normalisation, activations and losses are left out, as PyTorch's FlopCounterMode leaves
them out):

- `network_flops`: one forward pass of a Keras network, from its layers' shapes. Per
  example, a Conv2D costs 2·H_out·W_out·C_out·k_h·k_w·C_in/groups; a Conv2DTranspose
  2·H_in·W_in·C_in·k_h·k_w·C_out (each input pixel is spread over a k_h×k_w×C_out patch; the
  padding only crops the output, so 'valid' and 'same' cost the same); a Dense 2·in·units
  per input row.
- `train_step_flops`: one call of a model's `train_step`, from the ops of its traced graph
  that run. Each player's gradient is its own backward pass: through every layer between its
  loss and its variables, a layer costs its forward FLOPs once for the gradient of its
  weights (if that player updates them) and once for the gradient of its input (if a
  variable of that player lies before it). So a network trained alone costs about 3× its
  forward pass, less the input gradient of its first layer; a network that a gradient only
  passes through (a discriminator in its generator's update) 2×; a forward pass no gradient
  goes through (the encoder in an AAE's discriminator phase) 1×. TensorFlow's gradient code
  also builds the products no player needs, which the runtime prunes: they are not counted
  here (TensorFlow's profiler counts them, and overcounted the VAE/GAN step by 75%).

`benchmarks/peers/flops_check.py` checks both counts against PyTorch's FlopCounterMode on the
same networks built in PyTorch, running the same passes.

    python benchmarks/flops.py [--batch 128] [--models vae aae ...] [--configs ...]
        [--json out.json]
"""

import argparse
import json
import math
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def layer_flops(layer):
    """FLOPs per example of one forward pass of a Conv2D, Conv2DTranspose or Dense layer
    (0 for any other layer), from its built shapes."""
    if isinstance(layer, keras.layers.Conv2DTranspose):
        _, height, width, channels = layer.input.shape
        kernel_h, kernel_w, filters, _ = layer.kernel.shape
        return 2 * height * width * channels * kernel_h * kernel_w * filters
    if isinstance(layer, keras.layers.Conv2D):
        _, height, width, filters = layer.output.shape
        kernel_h, kernel_w, channels_per_group, _ = layer.kernel.shape
        return 2 * height * width * filters * kernel_h * kernel_w * channels_per_group
    if isinstance(layer, keras.layers.Dense):
        rows = math.prod(layer.input.shape[1:-1])
        inputs, units = layer.kernel.shape
        return 2 * rows * inputs * units
    return 0


def layers_of(network):
    """The layers of a network in call order, nested models flattened."""
    for layer in network.layers:
        if isinstance(layer, keras.Model):
            yield from layers_of(layer)
        else:
            yield layer


def network_flops(network, batch_size=1):
    """FLOPs of one forward pass of a Keras network over `batch_size` examples."""
    return batch_size * sum(layer_flops(layer) for layer in layers_of(network))


# ------------------------------------------------------------------- ops of a traced graph

def _static_shape(tensor):
    shape = tensor.shape
    if shape.rank is None or not shape.is_fully_defined():
        raise ValueError(f"{tensor.op.type} op {tensor.op.name} has a shape that is not fully "
                         f"known ({shape}); trace the function on a concrete batch.")
    return shape.as_list()


def _matmul_flops(op):
    a, _ = op.inputs
    a_shape = _static_shape(a)
    transpose = op.get_attr("adj_x" if op.type.startswith("BatchMatMul") else "transpose_a")
    inner = a_shape[-2] if transpose else a_shape[-1]
    return 2 * math.prod(_static_shape(op.outputs[0])) * inner


def _conv_flops(op):
    # Conv2D(input, filter): the output is the contracted side.
    kernel_h, kernel_w, channels, _ = _static_shape(op.inputs[1])
    return 2 * math.prod(_static_shape(op.outputs[0])) * kernel_h * kernel_w * channels


def _conv_input_gradient_flops(op):
    # Conv2DBackpropInput(input_sizes, filter, out_backprop): the gradient of a Conv2D's
    # input, and the forward op of a Conv2DTranspose. Its cost is that of the Conv2D from the
    # big side to out_backprop's side, whatever the padding.
    kernel_h, kernel_w, channels, _ = _static_shape(op.inputs[1])
    return 2 * math.prod(_static_shape(op.inputs[2])) * kernel_h * kernel_w * channels


def _conv_filter_gradient_flops(op):
    # Conv2DBackpropFilter(input, filter_sizes, out_backprop) -> [k_h, k_w, C_in, C_out].
    kernel_h, kernel_w, channels, _ = _static_shape(op.outputs[0])
    return 2 * math.prod(_static_shape(op.inputs[2])) * kernel_h * kernel_w * channels


OP_FLOPS = {
    "MatMul": _matmul_flops,
    "BatchMatMul": _matmul_flops,
    "BatchMatMulV2": _matmul_flops,
    "BatchMatMulV3": _matmul_flops,
    "Conv2D": _conv_flops,
    "Conv2DBackpropInput": _conv_input_gradient_flops,
    "Conv2DBackpropFilter": _conv_filter_gradient_flops,
}
FUNCTION_CALLS = {"PartitionedCall", "StatefulPartitionedCall"}
# Contractions this counter has no formula for: refuse rather than leave them out.
UNCOUNTED_CONTRACTIONS = {"Einsum", "Conv3D", "Conv3DBackpropInputV2",
                          "Conv3DBackpropFilterV2", "DepthwiseConv2dNative",
                          "DepthwiseConv2dNativeBackpropInput",
                          "DepthwiseConv2dNativeBackpropFilter", "SparseMatMul"}


def ops_that_run(graph):
    """The ops of a function's graph that its outputs and side effects (variable updates)
    depend on: what the runtime executes once it has pruned the rest."""
    pending = [t.op for t in graph.outputs] + list(graph.control_outputs)
    seen = set()
    while pending:
        op = pending.pop()
        if op.name in seen:
            continue
        seen.add(op.name)
        pending.extend(t.op for t in op.inputs)
        pending.extend(op.control_inputs)
    return [op for op in graph.get_operations() if op.name in seen]


def graph_flops(graph, by_type=None):
    """FLOPs of the contractions among `ops_that_run(graph)`.

    Args:
        graph: a FuncGraph (`concrete_function.graph`), traced on fully known shapes.
        by_type: dict or None. If given, filled with op type -> FLOPs.

    Raises:
        ValueError: for a contraction this counter has no formula for, or unknown shapes.
    """
    total = 0
    for op in ops_that_run(graph):
        if op.type in FUNCTION_CALLS:
            # A function the graph calls, e.g. Keras' grouped convolution, compiled on its own.
            total += graph_flops(graph._get_function(op.get_attr("f").name).graph, by_type)
            continue
        if op.type in UNCOUNTED_CONTRACTIONS:
            raise ValueError(f"the graph runs a {op.type} op ({op.name}), which this FLOP "
                             "counter has no formula for; add one to OP_FLOPS.")
        count = OP_FLOPS.get(op.type)
        if count is None:
            continue
        flops = count(op)
        total += flops
        if by_type is not None:
            by_type[op.type] = by_type.get(op.type, 0) + flops
    return total


def train_step_flops(model, batch, by_type=None):
    """FLOPs of one call of `model.train_step(batch)`: every player's forward and backward
    passes as the step runs them (see the module docstring)."""
    concrete = tf.function(model.train_step).get_concrete_function(batch)
    return graph_flops(concrete.graph, by_type)


def profiler_flops(model, batch):
    """What TensorFlow's profiler counts for the same traced step (pruned ops included)."""
    from tensorflow.python.profiler import model_analyzer, option_builder

    concrete = tf.function(model.train_step).get_concrete_function(batch)
    options = option_builder.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    return model_analyzer.profile(graph=concrete.graph, options=options).total_float_ops


def model_networks(model):
    """{name: network} of a tfhybrids model's players."""
    return {name: getattr(model, name) for name in type(model).network_names
            if isinstance(getattr(model, name, None), keras.Model)}


def network_settings(config_path, element_shape, num_classes=None):
    """{name: {"role", "spec", "io"}} of a config's networks: the builder role, the filled-in
    spec and the shapes they are built for, so that peers can build the same networks."""
    from tfhybrids.networks.builders import normalize_spec
    from tfhybrids.priors import make_prior
    from tfhybrids.training.config import load_config, model_class

    config = load_config(config_path)
    settings = {k: v for k, v in config["model"].items() if k != "class"}
    if num_classes is not None:
        # As the trainer gives it to the conditional models: from the data.
        settings.setdefault("num_classes", num_classes)
    latent_dim = settings.get("latent_dim")
    prior = None if latent_dim is None else make_prior(
        config.get("prior") or {"name": "gaussian"}, latent_dim=latent_dim)
    try:
        io = model_class(config["model"]).network_io(settings, element_shape, num_classes, prior)
    except NotImplementedError:  # a model that builds its own networks (CycleGAN)
        return {}
    networks = {}
    for name, (role, kwargs) in io.items():
        spec = settings.get(name)
        if not isinstance(spec, dict) or spec.get("type", "mlp") not in ("mlp", "conv"):
            continue
        spec = normalize_spec(spec, name)
        if role == "discriminator":
            spec.setdefault("activation", "leaky_relu")
        networks[name] = {"role": role, "spec": spec,
                          "io": json.loads(json.dumps(kwargs, default=list))}
    return networks


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=128,
                        help="batch of the image hybrids (the others use their config's)")
    parser.add_argument("--models", nargs="*", help="image hybrids by config stem (default: "
                        "those of throughput.py); 'none' for none")
    parser.add_argument("--configs", nargs="*", default=[], help="further config stems, "
                        "counted on the first batch of their own data")
    parser.add_argument("--profiler", action="store_true",
                        help="also print TensorFlow's profiler count, for comparison")
    parser.add_argument("--json", help="write the counts here (read by peers/flops_check.py)")
    args = parser.parse_args(argv)

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import throughput
    from tfhybrids.evaluation.bench import FASHION_MNIST_MODELS
    from tfhybrids.training.config import load_config

    models = [] if args.models == ["none"] else (args.models or FASHION_MNIST_MODELS)
    jobs = [(name, os.path.join(REPO, "configs", f"{name}_fashion_mnist.yaml"), True)
            for name in models]
    jobs += [(name, os.path.join(REPO, "configs", f"{name}.yaml"), False)
             for name in args.configs]
    results = {}
    for name, path, image_hybrid in jobs:
        if image_hybrid:
            model, batch = throughput.build(path, args.batch), throughput.synthetic_batch(args.batch)
            shape, classes = (28, 28, 1), 10
        else:
            bundle, batch = throughput.own_data(path)
            model = throughput.build_on(path, bundle)
            shape, classes = bundle.element_shape, bundle.num_classes
        by_type = {}
        step = train_step_flops(model, batch, by_type)
        batch_size = throughput.leading_batch_size(batch)
        results[name] = {
            "class": type(model).__name__, "batch": batch_size, "train_step": step,
            "by_op": by_type,
            "forward": {n: network_flops(net, batch_size)
                        for n, net in model_networks(model).items()},
            "networks": network_settings(path, shape, classes),
            "prior": load_config(path).get("prior") or {"name": "gaussian"},
        }
        line = (f"{name:36s} {type(model).__name__:26s} batch {batch_size:4d}  "
                f"{step / 1e9:8.3f} GFLOP/step  forward: "
                + ", ".join(f"{n} {f / 1e9:.3f}" for n, f in results[name]["forward"].items()))
        if args.profiler:
            results[name]["profiler"] = profiler_flops(model, batch)
            line += f"  (TF profiler: {results[name]['profiler'] / 1e9:.3f})"
        print(line, flush=True)
        if args.json:  # after every config, so that an interrupted run keeps the counts
            with open(args.json, "w") as f:
                json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
