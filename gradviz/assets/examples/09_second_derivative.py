# Second derivative: differentiate the gradient itself (create_graph=True)
import torch

x = torch.tensor(2.0, requires_grad=True)
y = x**3  # y = x³

# create_graph=True records the backward pass as a new graph, so g has a grad_fn
(g,) = torch.autograd.grad(y, x, create_graph=True)
print(g)  # dy/dx = 3x² = 12

# Differentiating g walks that new graph: d²y/dx² = 6x = 12
(h,) = torch.autograd.grad(g, x)
print(h)
