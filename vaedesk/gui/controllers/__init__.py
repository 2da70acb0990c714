"""Controllers: each keeps one part of the window in step with the workspace and the model process."""
