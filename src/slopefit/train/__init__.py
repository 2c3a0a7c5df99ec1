"""The run: its settings, the one loop, optimizers by name, engines, the stopping rule, checkpoints."""
