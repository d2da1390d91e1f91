# detach(): treat a value as a constant
import torch

x = torch.arange(4.0, requires_grad=True)

y = x * x
# u has y's values but no history: gradients cannot flow back through it.
u = y.detach()
z = u * x

# dz/dx = u (not 3x², because u counts as a constant).
z.sum().backward()
print(x.grad == u)

# y itself still has its graph, so we can differentiate it separately.
x.grad.zero_()
y.sum().backward()
print(x.grad == 2 * x)
