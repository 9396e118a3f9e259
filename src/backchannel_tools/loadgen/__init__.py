"""`backchannel loadgen`: a simulated workspace population against a running deployment.

See docs/loadgen.md.
"""
