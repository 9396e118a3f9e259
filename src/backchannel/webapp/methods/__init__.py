"""One module per family of Web API methods; importing this registers them all."""

from backchannel.webapp.methods import api, auth

__all__ = ["api", "auth"]
