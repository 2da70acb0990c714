"""Training: settings, the loop, checkpoints and the studio's child process. No Qt."""
