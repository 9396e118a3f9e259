"""Services: the only writers of data and the only publishers of events (docs/realtime.md).

Every function takes a ServiceContext first; see docs/architecture.md.
"""

from backchannel.services.context import Clock, ServiceContext

__all__ = ["Clock", "ServiceContext"]
