"""Pure train/eval steps, one module per model family."""
