"""Checks benchmarks/flops.py against PyTorch's FlopCounterMode on the same networks.

For each config in the JSON that `benchmarks/flops.py --json` wrote, builds its networks in
PyTorch (`torch_nets`) and counts with `torch.utils.flop_counter.FlopCounterMode`:

- one forward pass of each network at the same batch size, against the count from the Keras
  layers' shapes;
- one train step with the same passes as the tfhybrids model's `train_step` (each player's
  gradient taken with `torch.autograd.grad` of its own loss with respect to its own
  parameters, so that PyTorch, like TensorFlow once it has pruned, computes only the
  gradients that player needs), against the count from the traced TensorFlow graph. The
  losses are stand-ins with the same dependencies (which outputs each player's loss reads):
  their elementwise cost is counted by neither side.

Prints one line per count and exits 1 if any differs by more than --tolerance.

    python benchmarks/flops.py --models vae aae dcgan vae_gan --json /tmp/flops.json
    /work/torchvenv/bin/python benchmarks/peers/flops_check.py /tmp/flops.json
"""

import argparse
import json
import os
import sys

import torch
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_nets  # noqa: E402


def counted(function):
    """FLOPs PyTorch counts while `function()` runs."""
    with FlopCounterMode(display=False) as counter:
        function()
    return counter.get_total_flops()


def gradients(loss, module):
    torch.autograd.grad(loss, list(module.parameters()), retain_graph=True)


def prior_codes(prior, batch_size, latent_dim):
    """Codes from the config's prior, drawn with the same contractions as TFP: a
    `gaussian_mixture` is a MixtureSameFamily of MultivariateNormalTriL, which samples every
    component (scale_tril @ noise) and then picks one per example."""
    if prior["name"] != "gaussian_mixture":
        return torch.randn(batch_size, latent_dim)
    components = int(prior.get("num_components", 10))
    scale_tril = torch.eye(latent_dim).expand(components, latent_dim, latent_dim)
    noise = torch.randn(batch_size, components, latent_dim, 1)
    every_component = torch.matmul(scale_tril, noise).squeeze(-1)
    chosen = torch.randint(components, (batch_size,))
    return every_component[torch.arange(batch_size), chosen]


def vae_step(nets, x, latent_dim, prior):
    """VAE: one update of encoder and decoder together."""
    encoder, decoder = nets["encoder"], nets["decoder"]
    mean, log_var = encoder(x).chunk(2, dim=1)
    z = mean + torch.exp(0.5 * log_var) * torch.randn_like(mean)
    loss = (decoder(z) - x).square().sum() + (mean.square() + log_var.exp() - log_var).sum()
    torch.autograd.grad(loss, [*encoder.parameters(), *decoder.parameters()])


def aae_step(nets, x, latent_dim, prior):
    """AAE: reconstruction, then the latent discriminator, then the encoder as generator."""
    encoder, decoder, critic = nets["encoder"], nets["decoder"], nets["discriminator"]
    loss = (decoder(encoder(x)) - x).square().sum()
    torch.autograd.grad(loss, [*encoder.parameters(), *decoder.parameters()])
    z_prior = prior_codes(prior, x.shape[0], latent_dim)
    gradients(critic(z_prior).sum() - critic(encoder(x)).sum(), critic)
    gradients(-critic(encoder(x)).sum(), encoder)


def gan_step(nets, x, latent_dim, prior):
    """GAN / DCGAN: the discriminator on real and fresh fake data, then the generator."""
    generator, critic = nets["generator"], nets["discriminator"]
    fake = generator(prior_codes(prior, x.shape[0], latent_dim))
    gradients(critic(x).sum() - critic(fake).sum(), critic)
    gradients(-critic(generator(prior_codes(prior, x.shape[0], latent_dim))).sum(), generator)


def vae_gan_step(nets, x, latent_dim, prior):
    """VAE/GAN (Algorithm 1): one forward pass, then each player's gradient of its loss."""
    encoder, decoder, critic = nets["encoder"], nets["decoder"], nets["discriminator"]
    mean, log_var = encoder(x).chunk(2, dim=1)
    z = mean + torch.exp(0.5 * log_var) * torch.randn_like(mean)
    x_recon, x_prior = decoder(z), decoder(prior_codes(prior, x.shape[0], latent_dim))
    real_features, real_logits = critic(x, with_features=True)
    recon_features, recon_logits = critic(x_recon, with_features=True)
    prior_logits = critic(x_prior)
    like = (real_features - recon_features).square().sum()
    kl = (mean.square() + log_var.exp() - log_var).sum()
    gan = -recon_logits.sum() - prior_logits.sum()
    gradients(kl + like, encoder)
    gradients(0.01 * like + gan, decoder)
    gradients(real_logits.sum() - recon_logits.sum() - prior_logits.sum(), critic)


STEPS = {"VAE": vae_step, "AAE": aae_step, "DCGAN": gan_step, "GAN": gan_step,
         "VAEGAN": vae_gan_step}


def network_input(settings, batch_size):
    io = settings["io"]
    if settings["role"] == "decoder":
        return torch.randn(batch_size, int(io["input_dim"]))
    shape = io["input_shape"]
    if len(shape) == 3:
        return torch_nets.image_batch(batch_size, shape)
    return torch.randn(batch_size, *shape)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("counts", help="JSON written by benchmarks/flops.py --json")
    parser.add_argument("--tolerance", type=float, default=1e-6, help="relative")
    args = parser.parse_args(argv)
    with open(args.counts) as f:
        results = json.load(f)
    torch.manual_seed(0)
    failures = 0

    def compare(what, keras_count, torch_count):
        nonlocal failures
        difference = (torch_count - keras_count) / keras_count
        ok = abs(difference) <= args.tolerance
        failures += not ok
        print(f"{what:44s} Keras {keras_count / 1e9:10.4f} GFLOP  PyTorch "
              f"{torch_count / 1e9:10.4f} GFLOP  {difference:+.2e}  {'ok' if ok else 'DIFFERS'}")

    for name, result in results.items():
        batch = result["batch"]
        try:
            nets = torch_nets.build_networks(result["networks"])
        except ValueError as error:
            print(f"{name}: not built in PyTorch ({error})")
            continue
        for net_name, net in nets.items():
            net.train()
            x = network_input(result["networks"][net_name], batch)
            compare(f"{name} {net_name} forward", result["forward"][net_name],
                    counted(lambda net=net, x=x: net(x)))
        step = STEPS.get(result["class"])
        if step is None:
            print(f"{name}: no PyTorch step for {result['class']}; forward passes only")
            continue
        data_net = next(s for s in result["networks"].values() if s["role"] != "decoder")
        x = network_input(data_net, batch)
        latent_dim = next(int(s["io"]["input_dim"]) for s in result["networks"].values()
                          if s["role"] == "decoder")
        compare(f"{name} train step ({result['class']})", result["train_step"],
                counted(lambda: step(nets, x, latent_dim, result["prior"])))
    print("all counts agree" if not failures else f"{failures} counts differ")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
