"""pythae 0.1.2's MNIST benchmark networks and trainers, run for benchmarks/vs_pytorch.py.

Runs in the PyTorch venv (PyTorch and pythae are no dependencies of tfhybrids), as a
subprocess of vs_pytorch.py: one JSON request a line on stdin, one JSON answer a line on
stdout (the trainers' progress output goes to stderr). Requests:

- {"cmd": "setup", "filters": [...], "latent_dim": 16, "seed": 0, "data": "x.npz"}: builds the
  networks, the pythae models (VAE, Adversarial_AE, VAEGAN) around them and their trainers,
  on the images of `data` (NCHW float32 in [0, 1]).
- {"cmd": "check", "inputs": "in.npz", "output": "out.npz"}: one forward and backward pass of
  each network in training mode (batch statistics) on the inputs' `x` and `z`, of the loss
  sum(output * r) with the inputs' `r_<net>`; writes the weights (`w/<net>/<param>`), the
  outputs (`out/<net>`) and the gradients (`grad/<net>/<param>`). With the full widths it first
  checks that pythae's own classes (Encoder_Conv_VAE_MNIST, Decoder_Conv_AE_MNIST,
  Discriminator_Conv_MNIST) load these weights and compute the same outputs.
- {"cmd": "time", "model": "vae"|"aae"|"vae_gan", "runner": "pythae"|"autocast", "steps": n}:
  trains n steps and returns the seconds of each. `pythae` is pythae's own trainer
  (`trainer.train_step(epoch)` over a loader of n batches, as `trainer.train()` runs each
  epoch); `autocast` is a plain loop over the same batches that calls the pythae model for its
  losses under `torch.autocast("cpu", torch.bfloat16)` and steps the optimizers as pythae's
  trainer does.
- {"cmd": "gemm", "dtype": "float32"|"bfloat16"}: GFLOP/s of a 2048^2 matrix multiply.
- {"cmd": "profile", "repeats": n, "dtype": ...}: median seconds of each network's forward
  pass and forward + backward pass.

The networks are written here with configurable widths (the smoke test uses 1/8 of them);
at pythae's widths they are pythae's classes layer for layer (the check proves it).
"""

import json
import os
import sys
import tempfile
import time

import numpy as np
import torch
from torch import nn
from pythae.data.datasets import BaseDataset, DatasetOutput
from pythae.models import (VAE, VAEConfig, VAEGAN, VAEGANConfig, Adversarial_AE,
                           Adversarial_AE_Config)
from pythae.models.base.base_utils import ModelOutput
from pythae.models.nn import BaseDecoder, BaseDiscriminator, BaseEncoder
from pythae.trainers import (AdversarialTrainer, AdversarialTrainerConfig, BaseTrainer,
                             BaseTrainerConfig, CoupledOptimizerAdversarialTrainer,
                             CoupledOptimizerAdversarialTrainerConfig)
from pythae.trainers.training_callbacks import TrainingCallback

PYTHAE_FILTERS = (128, 256, 512, 1024)
LEARNING_RATE = 1e-4  # pythae's default
# The discriminator layer whose features measure VAE/GAN's reconstruction error: the third
# convolution block (512 x 3 x 3), as pythae's VAE/GAN benchmark uses.
FEATURE_LEVEL = 3


class ConvEncoder(BaseEncoder):
    """pythae's Encoder_Conv_VAE_MNIST: 4 x [Conv 4x4 stride 2 padding 1, BN, ReLU], then
    linear heads for the mean (`embedding`) and log-variance (`log_var`)."""

    def __init__(self, filters, latent_dim):
        BaseEncoder.__init__(self)
        self.layers = nn.ModuleList()
        channels = 1
        for width in filters:
            self.layers.append(nn.Sequential(nn.Conv2d(channels, width, 4, 2, padding=1),
                                             nn.BatchNorm2d(width), nn.ReLU()))
            channels = width
        self.embedding = nn.Linear(channels, latent_dim)  # 28 -> 14 -> 7 -> 3 -> 1
        self.log_var = nn.Linear(channels, latent_dim)

    def forward(self, x):
        out = x
        for layer in self.layers:
            out = layer(out)
        flat = out.reshape(x.shape[0], -1)
        return ModelOutput(embedding=self.embedding(flat), log_covariance=self.log_var(flat))


class ConvDecoder(BaseDecoder):
    """pythae's Decoder_Conv_AE_MNIST: Linear -> 4x4xf, then ConvTranspose 3x3 stride 2
    (padding 1: 4 -> 7; padding 1 and output padding 1: 7 -> 14 -> 28), BN and ReLU after
    all but the last, which has a sigmoid."""

    def __init__(self, filters, latent_dim):
        BaseDecoder.__init__(self)
        widths = list(reversed(filters))[:3]  # 1024, 512, 256
        self.start = widths[0]
        self.layers = nn.ModuleList([nn.Linear(latent_dim, widths[0] * 16)])
        self.layers.append(nn.Sequential(nn.ConvTranspose2d(widths[0], widths[1], 3, 2, padding=1),
                                         nn.BatchNorm2d(widths[1]), nn.ReLU()))
        self.layers.append(nn.Sequential(
            nn.ConvTranspose2d(widths[1], widths[2], 3, 2, padding=1, output_padding=1),
            nn.BatchNorm2d(widths[2]), nn.ReLU()))
        self.layers.append(nn.Sequential(
            nn.ConvTranspose2d(widths[2], 1, 3, 2, padding=1, output_padding=1), nn.Sigmoid()))

    def forward(self, z):
        out = self.layers[0](z).reshape(z.shape[0], self.start, 4, 4)
        for layer in self.layers[1:]:
            out = layer(out)
        return ModelOutput(reconstruction=out)


class ConvDiscriminator(BaseDiscriminator):
    """pythae's Discriminator_Conv_MNIST: 4 x [Conv 4x4 stride 2 padding 1] without batch
    norm, activations ReLU, tanh, ReLU, ReLU, then Linear -> 1 and a sigmoid."""

    def __init__(self, filters):
        BaseDiscriminator.__init__(self)
        self.layers = nn.ModuleList()
        channels = 1
        for width, activation in zip(filters, (nn.ReLU, nn.Tanh, nn.ReLU, nn.ReLU)):
            self.layers.append(nn.Sequential(nn.Conv2d(channels, width, 4, 2, padding=1),
                                             activation()))
            channels = width
        self.layers.append(nn.Sequential(nn.Linear(channels, 1), nn.Sigmoid()))
        self.depth = len(self.layers)

    def forward(self, x, output_layer_levels=None):
        output = ModelOutput()
        out = x
        for i, layer in enumerate(self.layers):
            if i == 4:
                out = out.reshape(x.shape[0], -1)
            out = layer(out)
            if output_layer_levels is not None and i + 1 in output_layer_levels:
                output[f"embedding_layer_{i + 1}"] = out
        output["embedding"] = out
        return output


class StepClock(TrainingCallback):
    """Times of the start of each epoch and the end of each step of pythae's trainer."""

    def __init__(self):
        self.stamps = []

    def on_train_step_begin(self, training_config, **kwargs):
        self.stamps = [time.perf_counter()]

    def on_train_step_end(self, training_config, **kwargs):
        self.stamps.append(time.perf_counter())


class Worker:
    def __init__(self):
        self.runs = {}

    def setup(self, filters, latent_dim, seed, data):
        torch.manual_seed(seed)
        self.filters, self.latent_dim, self.seed = tuple(filters), latent_dim, seed
        self.images = torch.from_numpy(np.load(data)["x"])
        self.nets = {"encoder": ConvEncoder(filters, latent_dim),
                     "decoder": ConvDecoder(filters, latent_dim),
                     "discriminator": ConvDiscriminator(filters)}
        return {"threads": torch.get_num_threads(), "torch": torch.__version__}

    # ------------------------------------------------------------------ equivalence
    def check(self, inputs, output):
        arrays = dict(np.load(inputs))
        x, z = torch.from_numpy(arrays["x"]), torch.from_numpy(arrays["z"])
        result, pythae_check = {}, {}
        aae = self._model("aae")  # its latent discriminator is pythae's Discriminator_MLP
        nets = dict(self.nets, latent_discriminator=aae.discriminator)
        feeds = {"encoder": x, "decoder": z, "discriminator": x, "latent_discriminator": z}
        for name, net in nets.items():
            net.train()
            out = self._flat_output(name, net(feeds[name]))
            loss = (out * torch.from_numpy(arrays[f"r_{name}"])).sum()
            grads = torch.autograd.grad(loss, list(net.parameters()))
            result[f"out/{name}"] = out.detach().numpy()
            for (param, value), grad in zip(net.named_parameters(), grads):
                result[f"w/{name}/{param}"] = value.detach().numpy()
                result[f"grad/{name}/{param}"] = grad.numpy()
        if self.filters == PYTHAE_FILTERS:
            pythae_check = self._against_pythae_classes(feeds)
        np.savez(output, **result)
        return {"pythae_classes_max_abs_error": pythae_check}

    @staticmethod
    def _flat_output(name, output):
        if name == "encoder":
            return torch.cat([output.embedding, output.log_covariance], dim=-1)
        if name == "decoder":
            return output.reconstruction
        return output.embedding

    def _against_pythae_classes(self, feeds):
        from pythae.models.nn.benchmarks.mnist import (Decoder_Conv_AE_MNIST,
                                                       Discriminator_Conv_MNIST,
                                                       Encoder_Conv_VAE_MNIST)

        config = VAEConfig(input_dim=(1, 28, 28), latent_dim=self.latent_dim)
        errors = {}
        for name, cls in (("encoder", Encoder_Conv_VAE_MNIST), ("decoder", Decoder_Conv_AE_MNIST),
                          ("discriminator", Discriminator_Conv_MNIST)):
            theirs = cls(config)
            theirs.load_state_dict(self.nets[name].state_dict(), strict=True)
            theirs.train()
            with torch.no_grad():
                mine = self._flat_output(name, self.nets[name](feeds[name]))
                other = self._flat_output(name, theirs(feeds[name]))
            errors[name] = float((mine - other).abs().max())
        return errors

    # ------------------------------------------------------------------ models and timing
    def _model(self, model):
        key = ("model", model)
        if key not in self.runs:
            enc, dec = self.nets["encoder"], self.nets["decoder"]
            shape = dict(input_dim=(1, 28, 28), latent_dim=self.latent_dim)
            if model == "vae":
                self.runs[key] = VAE(VAEConfig(**shape), encoder=enc, decoder=dec)
            elif model == "aae":
                self.runs[key] = Adversarial_AE(Adversarial_AE_Config(**shape), encoder=enc,
                                                decoder=dec)
            else:
                self.runs[key] = VAEGAN(VAEGANConfig(**shape, reconstruction_layer=FEATURE_LEVEL),
                                        encoder=enc, decoder=dec,
                                        discriminator=self.nets["discriminator"])
        return self.runs[key]

    def _trainer(self, model):
        key = ("trainer", model)
        if key not in self.runs:
            common = dict(output_dir=tempfile.mkdtemp(prefix="pythae_"),
                          per_device_train_batch_size=self.batch_size, num_epochs=1,
                          no_cuda=True, seed=self.seed)
            dataset = BaseDataset(self.images[:2 * self.batch_size],
                                  torch.zeros(2 * self.batch_size))
            if model == "vae":
                trainer = BaseTrainer(self._model(model), dataset, training_config=BaseTrainerConfig(
                    learning_rate=LEARNING_RATE, **common))
            elif model == "aae":
                trainer = AdversarialTrainer(self._model(model), dataset,
                                             training_config=AdversarialTrainerConfig(
                                                 autoencoder_learning_rate=LEARNING_RATE,
                                                 discriminator_learning_rate=LEARNING_RATE,
                                                 **common))
            else:
                trainer = CoupledOptimizerAdversarialTrainer(
                    self._model(model), dataset,
                    training_config=CoupledOptimizerAdversarialTrainerConfig(
                        encoder_learning_rate=LEARNING_RATE, decoder_learning_rate=LEARNING_RATE,
                        discriminator_learning_rate=LEARNING_RATE, **common))
            clock = StepClock()
            trainer.callbacks = [clock]
            trainer.prepare_training()
            self.runs[key] = (trainer, clock)
        return self.runs[key]

    def _optimizers(self, model):
        key = ("optimizers", model)
        if key not in self.runs:
            pythae_model = self._model(model)
            adam = lambda *modules: torch.optim.Adam(  # noqa: E731
                [p for m in modules for p in m.parameters()], lr=LEARNING_RATE)
            if model == "vae":
                self.runs[key] = {"loss": adam(pythae_model)}
            elif model == "aae":
                self.runs[key] = {"autoencoder_loss": adam(pythae_model.encoder, pythae_model.decoder),
                                  "discriminator_loss": adam(pythae_model.discriminator)}
            else:
                self.runs[key] = {"encoder_loss": adam(pythae_model.encoder),
                                  "decoder_loss": adam(pythae_model.decoder),
                                  "discriminator_loss": adam(pythae_model.discriminator)}
        return self.runs[key]

    def _batches(self, steps):
        n = self.images.shape[0] // self.batch_size
        return [self.images[(i % n) * self.batch_size:(i % n + 1) * self.batch_size]
                for i in range(steps)]

    def time(self, model, runner, steps):
        if runner == "pythae":
            trainer, clock = self._trainer(model)
            count = steps * self.batch_size
            trainer.train_loader = trainer.get_train_dataloader(
                BaseDataset(self.images[:count], torch.zeros(count)))
            trainer.train_step(epoch=1)
            return {"step_seconds": list(np.diff(clock.stamps))}
        pythae_model = self._model(model)
        optimizers = self._optimizers(model)
        pythae_model.train()
        seconds = []
        for x in self._batches(steps):
            start = time.perf_counter()
            with torch.autocast("cpu", dtype=torch.bfloat16):
                output = pythae_model(DatasetOutput(data=x), epoch=1, dataset_size=len(x))
            # As pythae's trainers: every gradient first (a loss's graph is kept for the
            # next), then every update; VAE/GAN's margins may switch a player off.
            active = [name for name in optimizers
                      if output.get(f"update_{name[:-len('_loss')]}", True)]
            for i, name in enumerate(active):
                optimizers[name].zero_grad()
                output[name].backward(retain_graph=i < len(active) - 1)
            for name in active:
                optimizers[name].step()
            seconds.append(time.perf_counter() - start)
        return {"step_seconds": seconds}

    def profile(self, repeats, dtype):
        """Median seconds of a forward pass and of a forward + backward pass (the gradients
        of every parameter and of the input, of the loss sum(output)) of each network on a
        batch, in training mode, fp32 or under bf16 autocast."""
        x = self.images[:self.batch_size].clone().requires_grad_(True)
        z = torch.randn(self.batch_size, self.latent_dim, requires_grad=True)
        feeds = {"encoder": x, "decoder": z, "discriminator": x}
        result = {}
        for name, net in self.nets.items():
            net.train()
            params = list(net.parameters()) + [feeds[name]]

            def forward():
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=dtype == "bfloat16"):
                    return self._flat_output(name, net(feeds[name])).float().sum()

            def backward():
                torch.autograd.grad(forward(), params)

            times = {}
            for phase, function in (("forward", forward), ("forward+backward", backward)):
                function()
                seconds = []
                for _ in range(repeats):
                    start = time.perf_counter()
                    function()
                    seconds.append(time.perf_counter() - start)
                times[phase] = float(np.median(seconds))
            result[name] = times
        return result

    @staticmethod
    def gemm(dtype, size=2048, repeats=20):
        kind = getattr(torch, dtype)
        a, b = torch.randn(size, size).to(kind), torch.randn(size, size).to(kind)
        torch.matmul(a, b)
        start = time.perf_counter()
        for _ in range(repeats):
            torch.matmul(a, b)
        return {"gflops": 2.0 * size**3 * repeats / (time.perf_counter() - start) / 1e9}


def main():
    worker = Worker()
    worker.batch_size = int(os.environ.get("VS_PYTORCH_BATCH", "128"))
    answers = sys.stdout
    sys.stdout = sys.stderr  # pythae's and tqdm's messages must not mix with the answers
    for line in sys.stdin:
        request = json.loads(line)
        command = request.pop("cmd")
        if command == "quit":
            break
        try:
            answer = getattr(worker, command)(**request)
        except Exception as error:  # reported to the driver, which raises it
            import traceback

            traceback.print_exc()
            answer = {"error": f"{type(error).__name__}: {error}"}
        answers.write(json.dumps(answer) + "\n")
        answers.flush()


if __name__ == "__main__":
    main()
