"""Training glue: configs, strategies, callbacks, checkpoints and the run loop."""
