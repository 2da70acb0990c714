"""The model process: its protocol and the service that answers the window. No Qt."""
