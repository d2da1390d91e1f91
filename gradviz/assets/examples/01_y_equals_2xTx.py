# y = 2·xᵀx: the gradient of a dot product
import torch

# A leaf tensor: autograd will store its gradient in x.grad.
x = torch.arange(4.0, requires_grad=True)

# y = 2 * (x · x) is a scalar, so y.backward() needs no argument.
y = 2 * torch.dot(x, x)
y.backward()

# dy/dx = 4x
print(x.grad)
print(x.grad == 4 * x)
