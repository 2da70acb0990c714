"""The user's state: the workspace the window edits and the session saved to disk. No Qt."""
