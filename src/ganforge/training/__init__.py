"""Training: the generic loop, checkpoints, run directories, progress display."""
