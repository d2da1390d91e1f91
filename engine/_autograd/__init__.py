"""The autograd graph and recording, below Tensor: graph nodes, saved tensors and events.

Tensor and the ops build on these modules; the public `engine.autograd` package (a layer
above, with backward, grad and Function) re-exports them. Nothing here imports Tensor.
"""
