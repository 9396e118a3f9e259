"""The tools beside the product: `backchannel bench ...` (bench/) and `backchannel loadgen`
(loadgen/). They drive Backchannel from outside and from its own layers; the product never
imports them. Their dependencies are the `tools` extra. See docs/benchmarks.md and
docs/loadgen.md."""
