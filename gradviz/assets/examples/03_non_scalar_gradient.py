# Backward from a non-scalar: pass gradient=
import torch

x = torch.arange(4.0, requires_grad=True)

# y is a vector, so backward needs to know how much each element counts.
y = x * x

# gradient=ones gives the same result as y.sum().backward(): d(sum x²)/dx = 2x.
y.backward(gradient=torch.ones(len(y)))
print(x.grad)
