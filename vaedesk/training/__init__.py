"""Training: settings and presets (config), the one pipeline from request to saved model
(run, with its events), the loop and its steps, checkpoints and the studio's child process.
No Qt."""
